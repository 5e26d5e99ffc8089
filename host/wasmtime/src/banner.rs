//! What `idplex serve` prints on stdout at start-up: where to go and how to log in.

use std::fmt::Write as _;
use std::net::SocketAddr;
use std::path::Path;

use crate::admin_token::AdminToken;

/// The start-up message for a server bound to `addr` with data in `data_dir`.
pub fn startup_message(addr: SocketAddr, data_dir: &Path, public_url: Option<&str>, token: &AdminToken) -> String {
    let mut out = String::new();
    // Writing to a String cannot fail.
    let _ = writeln!(out, "idplex is listening on {addr}");
    let _ = writeln!(out, "  Admin console: http://{addr}/");
    let _ = writeln!(out, "  Admin API:     http://{addr}/admin/api/v1");
    if let Some(url) = public_url {
        let _ = writeln!(out, "  Public URL:    {url}");
    }
    let _ = writeln!(out, "  Data:          {}", data_dir.display());
    match token {
        AdminToken::Generated { token, .. } => {
            let _ = writeln!(out, "  Admin token (shown only this once; only its hash is stored):");
            let _ = writeln!(out, "    {token}");
        }
        AdminToken::Configured { .. } => {
            let _ = writeln!(out, "  Log in with the admin token you configured.");
        }
        AdminToken::Stored { .. } => {
            let _ = writeln!(
                out,
                "  Log in with the admin token printed at first start; reset it with \
                 `idplex admin-token reset --data {}`.",
                data_dir.display()
            );
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn addr() -> SocketAddr {
        SocketAddr::from(([127, 0, 0, 1], 43210))
    }

    #[test]
    fn generated_token_is_shown_with_urls() {
        let token = AdminToken::Generated { token: "idplex_admin_xyz".into(), sha256: "00".into() };
        let text = startup_message(addr(), Path::new("/d"), None, &token);
        assert!(text.contains("http://127.0.0.1:43210/\n"));
        assert!(text.contains("http://127.0.0.1:43210/admin/api/v1"));
        assert!(text.contains("idplex_admin_xyz"));
    }

    #[test]
    fn stored_token_points_to_reset() {
        let token = AdminToken::Stored { sha256: "00".into() };
        let text = startup_message(addr(), Path::new("/d"), None, &token);
        assert!(text.contains("idplex admin-token reset --data /d"));
    }

    #[test]
    fn configured_token_is_not_echoed() {
        let token = AdminToken::Configured { sha256: "secret-hash".into() };
        let text = startup_message(addr(), Path::new("/d"), Some("https://x.example"), &token);
        assert!(text.contains("you configured"));
        assert!(!text.contains("secret-hash"));
        assert!(text.contains("https://x.example"));
    }
}
