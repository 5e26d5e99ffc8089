//! Rendering a stored record as the SCIM resource a client sees.

use serde_json::{Value, json};

use super::resource_type::ResourceType;
use crate::storage::resources::ResourceRecord;
use crate::time::Timestamp;

/// The weak ETag of a record version.
pub fn etag(record: &ResourceRecord) -> String {
    format!("W/\"{}\"", record.version)
}

/// The resource's absolute location under the connection base URL.
pub fn location(base: &str, kind: &ResourceType, id: &str) -> String {
    format!("{base}{}/{id}", kind.endpoint)
}

/// The full resource: stored body, `id` and `meta`.
pub fn render(kind: &ResourceType, record: &ResourceRecord, base: &str) -> Value {
    let mut resource = record.body.clone();
    if let Value::Object(members) = &mut resource {
        members.insert("id".into(), json!(record.id));
        members.insert(
            "meta".into(),
            json!({
                "resourceType": kind.name,
                "created": Timestamp::from_millis(record.created).to_string(),
                "lastModified": Timestamp::from_millis(record.last_modified).to_string(),
                "location": location(base, kind, &record.id),
                "version": etag(record),
            }),
        );
    }
    resource
}
