//! Every limit the SCIM service enforces, in one place.
//!
//! Each value is enforced where the input is read (named on each item) and listed in
//! `docs/scim-conformance.md` § "Limits"; those SCIM has a field for are advertised in
//! `/ServiceProviderConfig` (`bulk.maxOperations`, `bulk.maxPayloadSize`, `filter.maxResults`,
//! `pagination.defaultPageSize`, `pagination.maxPageSize`). A request over a limit is refused
//! whole with a SCIM error and changes nothing.
//!
//! The host has limits of its own in front of these (request body bytes, header size, time
//! and memory per request): `docs/security.md` § "Host limits".

/// The largest request body, in bytes, for every SCIM request (a resource, a PATCH, a search,
/// a Bulk request): 413 beyond it. Advertised as `bulk.maxPayloadSize`. Enforced in
/// [`super::body::parse`].
pub const MAX_BODY_BYTES: usize = 1 << 20;

/// How deeply arrays and objects may nest in a request body (a SCIM resource needs 4 levels:
/// resource, extension, complex attribute, sub-attribute; a Bulk request adds 3). Deeper is
/// 400 `invalidSyntax`. Enforced in [`super::body::parse`].
pub const MAX_JSON_DEPTH: usize = 16;

/// The largest stored resource, in bytes of its JSON (without `meta` and without a group's
/// members, which are stored apart): 400 `invalidValue` beyond it, also when a PATCH would
/// grow a resource past it. Room for every attribute of an Entra or Okta user and one
/// certificate of [`MAX_BINARY_CHARS`]. Enforced in [`super::normalize::normalize`].
pub const MAX_RESOURCE_BYTES: usize = 128 << 10;

/// The longest value of an identifying attribute (`userName`, `displayName`, `externalId`),
/// in characters. Enforced in [`super::normalize`].
pub const MAX_IDENTIFIER_CHARS: usize = 1024;

/// The longest value of any other string attribute, in characters (long enough for URLs and
/// free text; a certificate is `binary`). Enforced in [`super::normalize`].
pub const MAX_STRING_CHARS: usize = 8192;

/// The longest `binary` value (base64), in characters. Enforced in [`super::normalize`].
pub const MAX_BINARY_CHARS: usize = 65_536;

/// The longest filter, in bytes. Enforced in [`super::filter`]'s parser.
pub const MAX_FILTER_BYTES: usize = 4096;

/// How deeply brackets, parentheses and `not` may nest in a filter. Enforced in
/// [`super::filter`]'s parser.
pub const MAX_FILTER_DEPTH: usize = 32;

/// The most operations in one PATCH request. Enforced in [`super::patch::parse`].
pub const MAX_PATCH_OPERATIONS: usize = 1000;

/// The most operations in one Bulk request; advertised as `bulk.maxOperations`. Enforced in
/// [`super::bulk`].
pub const MAX_BULK_OPERATIONS: usize = 1000;

/// The largest Bulk request, in bytes; advertised as `bulk.maxPayloadSize`. The same as every
/// other body ([`MAX_BODY_BYTES`]).
pub const MAX_BULK_PAYLOAD_BYTES: usize = MAX_BODY_BYTES;

/// The largest page (`count`) of a list or search; advertised as `filter.maxResults` and
/// `pagination.maxPageSize`. A larger `count` is lowered to it (RFC 7644 §3.4.2.4).
pub const MAX_PAGE_SIZE: usize = 1000;

/// The page size when a request gives no `count`; advertised as `pagination.defaultPageSize`.
pub const DEFAULT_PAGE_SIZE: usize = 100;
