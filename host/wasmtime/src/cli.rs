//! Command-line flags of the `idplex` executable.

use std::path::PathBuf;

use clap::parser::ValueSource;
use clap::{ArgMatches, Args, CommandFactory as _, FromArgMatches as _, Parser, Subcommand};

use crate::host::{
    DEFAULT_BODY_BUDGET_BYTES, DEFAULT_BODY_IDLE_TIMEOUT, DEFAULT_BODY_READ_TIMEOUT, DEFAULT_HEADER_READ_TIMEOUT,
    DEFAULT_MAX_BODY_BYTES, DEFAULT_MAX_CONCURRENCY, DEFAULT_MAX_CONNECTIONS,
};
use crate::runtime::{GUEST_TIME_LIMIT, MAX_MEMORY_BYTES};

/// A MiB in bytes.
const MIB: usize = 1 << 20;
use crate::kv::StoreSpec;

/// `idplex`: multi-IdP SCIM 2.0 provisioning.
#[derive(Debug, Parser)]
#[command(name = "idplex", version, about = "Multi-IdP SCIM 2.0 provisioning server")]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

impl Cli {
    /// Parses the process's arguments (exits with usage on error), noting where the admin
    /// token came from.
    pub fn parse_args() -> Cli {
        Cli::from_matches(Cli::command().get_matches()).unwrap_or_else(|e| e.exit())
    }

    /// Parses `args` as [`Cli::parse_args`] does.
    pub fn try_parse_args_from<I, T>(args: I) -> Result<Cli, clap::Error>
    where
        I: IntoIterator<Item = T>,
        T: Into<std::ffi::OsString> + Clone,
    {
        Cli::from_matches(Cli::command().try_get_matches_from(args)?)
    }

    fn from_matches(matches: ArgMatches) -> Result<Cli, clap::Error> {
        let mut cli = Cli::from_arg_matches(&matches)?;
        if let (Command::Serve(args), Some(serve)) = (&mut cli.command, matches.subcommand_matches("serve")) {
            args.admin_token_on_command_line = serve.value_source("admin_token") == Some(ValueSource::CommandLine);
        }
        Ok(cli)
    }
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve SCIM, the admin API and the admin console over HTTP.
    Serve(ServeArgs),
    /// Manage the admin token.
    #[command(subcommand)]
    AdminToken(AdminTokenCommand),
    /// Check the whole store for broken invariants (safe while a server is running).
    Check(CheckArgs),
    /// Reclaim now all stored data of deleted connections (a running server does it in the
    /// background; safe while one runs).
    Reclaim(ReclaimArgs),
}

/// Where an offline command (`idplex check`, `idplex reclaim`) finds the store it works on.
#[derive(Debug, Args)]
pub struct StoreArgs {
    /// Data directory of the server.
    #[arg(long, env = "IDPLEX_DATA", default_value = "./idplex-data")]
    pub data: PathBuf,
    /// Component file to run instead of the embedded one.
    #[arg(long, env = "IDPLEX_COMPONENT")]
    pub component: Option<PathBuf>,
    /// Key-value store: `sqlite` (file idplex.sqlite3 in the data directory), or
    /// `redis://[user:password@]host[:port][/db]`, one Redis database shared by many hosts.
    #[arg(long, env = "IDPLEX_STORE", hide_env_values = true, default_value = "sqlite")]
    pub store: StoreSpec,
}

/// Flags of `idplex reclaim`.
#[derive(Debug, Args)]
pub struct ReclaimArgs {
    /// The store.
    #[command(flatten)]
    pub target: StoreArgs,
}

/// Flags of `idplex check`.
#[derive(Debug, Args)]
pub struct CheckArgs {
    /// Repair each violation found and finish work a crash left half done (with the same CAS
    /// writes the request path uses).
    #[arg(long)]
    pub repair: bool,
    /// Judge ages as if it were this time (milliseconds since the Unix epoch): work younger
    /// than the 60 s grace period counts as in flight. For tests; defaults to the clock.
    #[arg(long, value_name = "MILLIS")]
    pub now_millis: Option<i64>,
    /// The store.
    #[command(flatten)]
    pub target: StoreArgs,
}

/// Flags of `idplex serve`.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to listen on (port 0 picks a free port).
    #[arg(long, env = "IDPLEX_LISTEN", default_value = "127.0.0.1:8080")]
    pub listen: String,
    /// Data directory (store and admin token hash); created if missing.
    #[arg(long, env = "IDPLEX_DATA", default_value = "./idplex-data")]
    pub data: PathBuf,
    /// Admin token to use instead of the generated one. Prefer IDPLEX_ADMIN_TOKEN or
    /// --admin-token-file: other users of the machine can read a command line (`ps`).
    #[arg(long, env = "IDPLEX_ADMIN_TOKEN", hide_env_values = true)]
    pub admin_token: Option<String>,
    /// File holding the admin token to use instead of the generated one (surrounding
    /// whitespace ignored), e.g. a mounted secret.
    #[arg(long, env = "IDPLEX_ADMIN_TOKEN_FILE", value_name = "PATH", conflicts_with = "admin_token")]
    pub admin_token_file: Option<PathBuf>,
    /// Whether `--admin-token` was given on the command line (set by [`Cli::parse_args`]).
    #[arg(skip)]
    pub admin_token_on_command_line: bool,
    /// Externally visible origin used in SCIM URLs, e.g. https://idp.example.com
    /// (default: taken from each request's Host header).
    #[arg(long, env = "IDPLEX_PUBLIC_URL")]
    pub public_url: Option<String>,
    /// Component file to run instead of the embedded one.
    #[arg(long, env = "IDPLEX_COMPONENT")]
    pub component: Option<PathBuf>,
    /// Key-value store: `sqlite` (file idplex.sqlite3 in the data directory), or
    /// `redis://[user:password@]host[:port][/db]`, one Redis database shared by many hosts.
    #[arg(long, env = "IDPLEX_STORE", hide_env_values = true, default_value = "sqlite")]
    pub store: StoreSpec,
    /// Testing only: inject store faults, e.g. `seed=7,before=20,after=20,delay-ms=2`.
    #[arg(long, hide = true)]
    pub inject_store_faults: Option<crate::kv::FaultSpec>,
    /// Most requests handled at once.
    #[arg(long, default_value_t = DEFAULT_MAX_CONCURRENCY)]
    pub max_concurrency: usize,
    /// Largest accepted request body in bytes (larger ones get 413).
    #[arg(long, default_value_t = DEFAULT_MAX_BODY_BYTES)]
    pub max_body_bytes: usize,
    /// Most connections open at once; past it a new connection gets 503 with Retry-After and
    /// is closed.
    #[arg(long, default_value_t = DEFAULT_MAX_CONNECTIONS)]
    pub max_connections: usize,
    /// MiB all request bodies may hold together (at least --max-body-bytes); a body that
    /// finds no room within 1 s gets 503 with Retry-After.
    #[arg(long, default_value_t = DEFAULT_BODY_BUDGET_BYTES / MIB)]
    pub body_budget_mib: usize,
    /// Seconds a client may take to send a whole request body (408 past it).
    #[arg(long, default_value_t = DEFAULT_BODY_READ_TIMEOUT.as_secs(), value_parser = clap::value_parser!(u64).range(1..))]
    pub body_read_timeout_secs: u64,
    /// Seconds a request body may stall between two pieces (408 past it).
    #[arg(long, default_value_t = DEFAULT_BODY_IDLE_TIMEOUT.as_secs(), value_parser = clap::value_parser!(u64).range(1..))]
    pub body_idle_timeout_secs: u64,
    /// Seconds a client may take to send a request head; also how long an idle keep-alive
    /// connection stays open.
    #[arg(long, default_value_t = DEFAULT_HEADER_READ_TIMEOUT.as_secs(), value_parser = clap::value_parser!(u64).range(1..))]
    pub header_read_timeout_secs: u64,
    /// Milliseconds of guest (component) time one request may use, not counting waits on the
    /// store; past it the request gets 503.
    #[arg(long, default_value_t = GUEST_TIME_LIMIT.as_millis() as u64, value_parser = clap::value_parser!(u64).range(1..))]
    pub guest_time_limit_ms: u64,
    /// MiB of linear memory one request's component instance may hold (at most the default);
    /// past it the request gets 500.
    #[arg(
        long,
        default_value_t = (MAX_MEMORY_BYTES / MIB) as u64,
        value_parser = clap::value_parser!(u64).range(1..=(MAX_MEMORY_BYTES / MIB) as u64)
    )]
    pub guest_memory_mib: u64,
}

impl ServeArgs {
    /// `--body-budget-mib` in bytes.
    pub fn body_budget_bytes(&self) -> usize {
        self.body_budget_mib.saturating_mul(MIB)
    }

    /// `--guest-memory-mib` in bytes.
    pub fn guest_memory_bytes(&self) -> usize {
        usize::try_from(self.guest_memory_mib).unwrap_or(usize::MAX).saturating_mul(MIB)
    }
}

/// Subcommands of `idplex admin-token`.
#[derive(Debug, Subcommand)]
pub enum AdminTokenCommand {
    /// Issue a new admin token and print it once; the old one stops working when the server
    /// restarts.
    Reset {
        /// Data directory of the server.
        #[arg(long, env = "IDPLEX_DATA", default_value = "./idplex-data")]
        data: PathBuf,
    },
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_are_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn serve_defaults() {
        let cli = Cli::try_parse_from(["idplex", "serve"]).expect("parse");
        let Command::Serve(args) = cli.command else { panic!("serve") };
        assert_eq!(args.store, StoreSpec::Sqlite);
        assert_eq!(args.max_body_bytes, 10 << 20);
        assert!(args.component.is_none());
        assert_eq!(args.max_connections, 1024);
        assert_eq!(args.body_budget_bytes(), 64 << 20);
        assert_eq!(args.guest_time_limit_ms, 30_000);
        assert_eq!(args.guest_memory_bytes(), MAX_MEMORY_BYTES);
    }

    #[test]
    fn guest_memory_above_the_pool_ceiling_is_a_usage_error() {
        assert!(Cli::try_parse_from(["idplex", "serve", "--guest-memory-mib", "257"]).is_err());
        assert!(Cli::try_parse_from(["idplex", "serve", "--guest-memory-mib", "0"]).is_err());
        let cli = Cli::try_parse_from(["idplex", "serve", "--guest-memory-mib", "8"]).expect("parse");
        let Command::Serve(args) = cli.command else { panic!("serve") };
        assert_eq!(args.guest_memory_bytes(), 8 << 20);
    }

    #[test]
    fn redis_store_is_accepted() {
        let cli = Cli::try_parse_from(["idplex", "serve", "--store", "redis://localhost:6379/0"]).expect("parse");
        let Command::Serve(args) = cli.command else { panic!("serve") };
        assert!(matches!(args.store, StoreSpec::Redis(_)));
    }

    #[test]
    fn unsupported_store_is_a_usage_error() {
        let err = Cli::try_parse_from(["idplex", "serve", "--store", "rediss://localhost:6380/0"])
            .expect_err("TLS is not supported yet");
        assert!(err.to_string().contains("not supported yet"));
    }

    #[test]
    fn bad_redis_url_error_does_not_show_the_password() {
        let err = Cli::try_parse_from(["idplex", "check", "--store", "redis://:hunter2@localhost/x"])
            .expect_err("bad database number");
        assert!(err.to_string().contains("invalid Redis URL"), "{err}");
        assert!(!err.to_string().contains("hunter2"), "{err}");
    }

    fn serve_args(args: &[&str]) -> ServeArgs {
        let cli = Cli::try_parse_args_from(["idplex", "serve"].iter().chain(args)).expect("parse");
        let Command::Serve(args) = cli.command else { panic!("serve") };
        args
    }

    #[test]
    fn admin_token_on_the_command_line_is_noticed() {
        let args = serve_args(&["--admin-token", "s3cret"]);
        assert_eq!(args.admin_token.as_deref(), Some("s3cret"));
        assert!(args.admin_token_on_command_line);
    }

    #[test]
    fn admin_token_file_is_not_a_command_line_token() {
        let args = serve_args(&["--admin-token-file", "/run/secrets/idplex-admin"]);
        assert_eq!(args.admin_token_file, Some(PathBuf::from("/run/secrets/idplex-admin")));
        assert!(!args.admin_token_on_command_line);
    }

    #[test]
    fn admin_token_and_admin_token_file_conflict() {
        let args = ["idplex", "serve", "--admin-token", "x", "--admin-token-file", "/f"];
        assert!(Cli::try_parse_args_from(args).is_err());
    }

    #[test]
    fn admin_token_reset_takes_data_dir() {
        let cli = Cli::try_parse_from(["idplex", "admin-token", "reset", "--data", "/tmp/x"]).expect("parse");
        let Command::AdminToken(AdminTokenCommand::Reset { data }) = cli.command else { panic!("admin-token reset") };
        assert_eq!(data, PathBuf::from("/tmp/x"));
    }

    #[test]
    fn reclaim_takes_data_dir_and_store() {
        let cli = Cli::try_parse_from(["idplex", "reclaim", "--data", "/tmp/x", "--store", "sqlite"]).expect("parse");
        let Command::Reclaim(args) = cli.command else { panic!("reclaim") };
        assert_eq!((args.target.data, args.target.store), (PathBuf::from("/tmp/x"), StoreSpec::Sqlite));
    }
}
