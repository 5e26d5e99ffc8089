//! Query parameters of list and `.search` requests, and the `ListResponse` message.

use serde_json::{Map, Value, json};

use super::error::{ScimError, ScimType};
use super::filter::{AttrPath, Filter, PatchPath};
use super::paging::{Cursor, Paging};
use super::projection::Projection;
use crate::http::Request;

/// URN of the ListResponse message.
pub const LIST_RESPONSE: &str = "urn:ietf:params:scim:api:messages:2.0:ListResponse";
/// URN of the SearchRequest message.
pub const SEARCH_REQUEST: &str = "urn:ietf:params:scim:api:messages:2.0:SearchRequest";
/// The page size when `count` is absent.
pub use super::limits::DEFAULT_PAGE_SIZE as DEFAULT_COUNT;
/// The largest page size (advertised as `filter.maxResults`).
pub use super::limits::MAX_PAGE_SIZE as MAX_RESULTS;

/// Sort direction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SortOrder {
    /// `ascending` (the default).
    Ascending,
    /// `descending`.
    Descending,
}

/// A parsed list or search request.
#[derive(Debug, Clone)]
pub struct ListParams {
    /// The filter, if any.
    pub filter: Option<Filter>,
    /// Index or cursor paging.
    pub paging: Paging,
    /// Page size.
    pub count: usize,
    /// Attribute to sort by.
    pub sort_by: Option<AttrPath>,
    /// Sort direction.
    pub sort_order: SortOrder,
    /// Attribute selection.
    pub projection: Projection,
}

fn integer(name: &str, raw: Option<&str>) -> Result<Option<i64>, ScimError> {
    match raw.map(str::trim) {
        None | Some("") => Ok(None),
        Some(s) => s
            .parse::<i64>()
            .map(Some)
            .map_err(|_| ScimError::bad_request(ScimType::InvalidValue, format!("{name} must be an integer"))),
    }
}

/// Named parameter lookup over either a query string or a SearchRequest body.
fn build(get: impl Fn(&str) -> Result<Option<String>, ScimError>) -> Result<ListParams, ScimError> {
    let filter = match get("filter")? {
        None => None,
        Some(f) if f.trim().is_empty() => None,
        Some(f) => {
            Some(f.parse::<Filter>().map_err(|e| ScimError::bad_request(ScimType::InvalidFilter, e.to_string()))?)
        }
    };
    let start_index = integer("startIndex", get("startIndex")?.as_deref())?;
    let paging = match (get("cursor")?, start_index) {
        (Some(_), Some(_)) => {
            return Err(ScimError::bad_request(ScimType::InvalidValue, "use either startIndex or cursor, not both"));
        }
        (Some(c), None) if c.trim().is_empty() => Paging::Cursor(None),
        (Some(c), None) => Paging::Cursor(Some(Cursor::parse(c.trim())?)),
        (None, start) => Paging::Index(start.unwrap_or(1).max(1) as usize),
    };
    let count =
        integer("count", get("count")?.as_deref())?.map_or(DEFAULT_COUNT, |c| c.clamp(0, MAX_RESULTS as i64) as usize);
    let sort_by = match get("sortBy")? {
        None => None,
        Some(s) if s.trim().is_empty() => None,
        Some(s) => {
            let path: PatchPath =
                s.parse().map_err(|e| ScimError::bad_request(ScimType::InvalidValue, format!("sortBy: {e}")))?;
            Some(path.attr)
        }
    };
    let sort_order = match get("sortOrder")?.map(|s| s.to_ascii_lowercase()).as_deref() {
        None | Some("") | Some("ascending") => SortOrder::Ascending,
        Some("descending") => SortOrder::Descending,
        Some(_) => {
            return Err(ScimError::bad_request(ScimType::InvalidValue, "sortOrder must be ascending or descending"));
        }
    };
    let projection = Projection::parse(get("attributes")?.as_deref(), get("excludedAttributes")?.as_deref())?;
    Ok(ListParams { filter, paging, count, sort_by, sort_order, projection })
}

impl ListParams {
    /// From the query string of `GET /Users`.
    pub fn from_query(request: &Request) -> Result<Self, ScimError> {
        build(|name| {
            if request.query.is_malformed(name) {
                let scim_type = if name == "filter" { ScimType::InvalidFilter } else { ScimType::InvalidValue };
                return Err(ScimError::bad_request(scim_type, format!("{name} is not UTF-8 once percent-decoded")));
            }
            Ok(request.query.get(name).map(str::to_owned))
        })
    }

    /// From the SearchRequest body of `POST /Users/.search`.
    pub fn from_search(request: &Request) -> Result<Self, ScimError> {
        let body: Value = super::body::parse(&request.body)?;
        let Some(object) = body.as_object() else {
            return Err(ScimError::bad_request(ScimType::InvalidSyntax, "a SearchRequest must be a JSON object"));
        };
        let find = |name: &str| object.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v);
        // A member of the wrong JSON type is refused, never ignored: a search whose filter
        // was dropped would answer with every resource.
        for (name, value) in object {
            let fine = match value {
                Value::Null | Value::String(_) | Value::Number(_) => true,
                Value::Array(items) => items.iter().all(Value::is_string),
                Value::Bool(_) | Value::Object(_) => name.eq_ignore_ascii_case("schemas"),
            };
            if !fine {
                return Err(ScimError::bad_request(
                    ScimType::InvalidValue,
                    format!("{name} must be a string or a number in a SearchRequest"),
                ));
            }
        }
        build(|name| {
            Ok(match find(name) {
                Some(Value::String(s)) => Some(s.clone()),
                Some(Value::Number(n)) => Some(n.to_string()),
                Some(Value::Array(items)) => Some(items.iter().filter_map(Value::as_str).collect::<Vec<_>>().join(",")),
                _ => None,
            })
        })
    }
}

/// A ListResponse for one page starting at 0-based `start`.
pub fn list_response(total: usize, start: usize, resources: Vec<Value>) -> Value {
    let mut body = Map::new();
    body.insert("schemas".into(), json!([LIST_RESPONSE]));
    body.insert("totalResults".into(), json!(total));
    body.insert("startIndex".into(), json!(start + 1));
    body.insert("itemsPerPage".into(), json!(resources.len()));
    body.insert("Resources".into(), Value::Array(resources));
    Value::Object(body)
}

/// A ListResponse page as answered to `params`: `nextCursor` for cursor paging.
pub fn page_response(params: &ListParams, total: usize, ids: &[String], start: usize, resources: Vec<Value>) -> Value {
    let next = params.paging.next_cursor(ids, start, resources.len());
    with_cursor(list_response(total, start, resources), next)
}

/// Adds `nextCursor` to a ListResponse when there is one.
pub fn with_cursor(mut body: Value, next: Option<String>) -> Value {
    if let Some(next) = next {
        body["nextCursor"] = json!(next);
    }
    body
}
