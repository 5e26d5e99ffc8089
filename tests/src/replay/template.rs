//! `${var}` substitution in fixture values, and percent-encoding of fixture paths.

use std::collections::BTreeMap;

use serde_json::Value;

/// Variables bound while a fixture runs: built-ins and captured values.
pub type Vars = BTreeMap<String, String>;

/// Replaces every `${name}` in `text` with its value; an unbound name is an error.
pub fn substitute(text: &str, vars: &Vars) -> Result<String, String> {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find("${") {
        out.push_str(&rest[..at]);
        let after = &rest[at + 2..];
        let end = after.find('}').ok_or_else(|| format!("unclosed ${{ in {text:?}"))?;
        let name = &after[..end];
        let value = vars.get(name).ok_or_else(|| {
            format!("variable ${{{name}}} is not bound (was the step that captures it run and passing?)")
        })?;
        out.push_str(value);
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

/// [`substitute`] in every string (keys included) of a JSON value.
pub fn substitute_json(value: &Value, vars: &Vars) -> Result<Value, String> {
    Ok(match value {
        Value::String(s) => Value::String(substitute(s, vars)?),
        Value::Array(items) => Value::Array(items.iter().map(|v| substitute_json(v, vars)).collect::<Result<_, _>>()?),
        Value::Object(members) => Value::Object(
            members
                .iter()
                .map(|(k, v)| Ok((substitute(k, vars)?, substitute_json(v, vars)?)))
                .collect::<Result<_, String>>()?,
        ),
        other => other.clone(),
    })
}

/// Percent-encodes what may not appear raw in a request target (spaces, quotes, brackets,
/// non-ASCII, ...) and leaves everything else, `%XX` escapes included, as written. So a
/// fixture may give a query as the vendor documents it, raw (`filter=userName eq "x"`) or
/// already encoded (`filter=userName%20eq%20%22x%22`).
pub fn encode_target(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for byte in path.bytes() {
        let raw = byte.is_ascii_alphanumeric() || b"-._~!$&'()*+,;=:@/?%".contains(&byte);
        if raw {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// A captured JSON value as a variable: strings as they are, anything else as JSON text.
pub fn as_var(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn substitutes_bound_and_rejects_unbound_names() {
        let vars = Vars::from([("id".to_owned(), "u1".to_owned())]);
        assert_eq!(substitute("/Users/${id}?x=${id}", &vars), Ok("/Users/u1?x=u1".to_owned()));
        assert!(substitute("/Users/${nope}", &vars).is_err());
        assert_eq!(substitute_json(&json!({"${id}": ["${id}", 1]}), &vars), Ok(json!({"u1": ["u1", 1]})));
    }

    #[test]
    fn encodes_raw_queries_and_keeps_encoded_ones() {
        assert_eq!(encode_target("/Users?filter=userName eq \"a@b\""), "/Users?filter=userName%20eq%20%22a@b%22");
        assert_eq!(
            encode_target("/Users?filter=userName%20eq%20%22a%40b%22"),
            "/Users?filter=userName%20eq%20%22a%40b%22"
        );
        assert_eq!(
            encode_target("/Users?filter=emails[type eq \"work\"]"),
            "/Users?filter=emails%5Btype%20eq%20%22work%22%5D"
        );
        assert_eq!(encode_target("/Users?filter=name eq \"Zoë\""), "/Users?filter=name%20eq%20%22Zo%C3%AB%22");
    }
}
