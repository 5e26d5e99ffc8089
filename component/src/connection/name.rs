//! Connection names: what is accepted and how it is normalised.

use super::ConnectionError;

/// The longest accepted name, in characters.
pub const MAX_NAME_CHARS: usize = 100;

/// Trims `name` and checks it: 1 to [`MAX_NAME_CHARS`] characters, no control characters.
pub fn validate_name(name: &str) -> Result<String, ConnectionError> {
    let trimmed = name.trim();
    if trimmed.is_empty() {
        return Err(ConnectionError::InvalidArgument("name must not be empty".into()));
    }
    if trimmed.chars().count() > MAX_NAME_CHARS {
        return Err(ConnectionError::InvalidArgument(format!("name must be at most {MAX_NAME_CHARS} characters")));
    }
    if trimmed.chars().any(char::is_control) {
        return Err(ConnectionError::InvalidArgument("name must not contain control characters".into()));
    }
    Ok(trimmed.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_trimmed() {
        assert_eq!(validate_name("  Acme - Okta ").as_deref(), Ok("Acme - Okta"));
    }

    #[test]
    fn empty_long_and_control_names_are_rejected() {
        assert!(validate_name("   ").is_err());
        assert!(validate_name(&"x".repeat(MAX_NAME_CHARS + 1)).is_err());
        assert!(validate_name(&"é".repeat(MAX_NAME_CHARS)).is_ok());
        assert!(validate_name("a\nb").is_err());
    }
}
