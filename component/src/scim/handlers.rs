//! The resource endpoints: create, read, list, search, replace, patch, delete — the same
//! code for every resource type.

use serde_json::Value;

use super::error::{ScimError, ScimType};
use super::extensions::{self, Policy};
use super::filter::{CompValue, Filter};
use super::list::{ListParams, list_response, page_response, with_cursor};
use super::membership::{self, MemberChange, Prepared};
use super::normalize::normalize_request;
use super::paging::Paging;
use super::patch;
use super::preconditions::{if_match_holds, if_none_match_hits};
use super::projection::Projection;
use super::render::{etag, location, render};
use super::resource_type::{Computed, ResourceType};
use super::schema::{Extension, ResourceSchema};
use super::sort::sort;
use crate::activity::{Action, Actor, Event};
use crate::app::App;
use crate::end_users::is_active;
use crate::http::Request;
use crate::http::Response;
use crate::ids;
use crate::storage::connections::{ConnectionRecord, RecordState};
use crate::storage::keys::Kind;
use crate::storage::members::{self, Members};
use crate::storage::resources::{ResourceRecord, Resources, WriteError};

/// The resources of one type in one authenticated connection.
pub struct Endpoint<'a> {
    /// The app.
    pub app: &'a App<'a>,
    /// The authenticated connection.
    pub connection: &'a ConnectionRecord,
    /// The connection's SCIM base URL (absolute when known).
    pub base: &'a str,
    /// The resource type.
    pub kind: &'static ResourceType,
    /// The custom extension schemas registered for the connection.
    pub custom: &'a [Extension<'a>],
}

fn parse_body(request: &Request) -> Result<Value, ScimError> {
    super::body::parse(&request.body)
}

fn write_error<E: Into<ScimError>>(kind: &ResourceType, e: WriteError<E>) -> ScimError {
    match e {
        WriteError::NotFound => ScimError::not_found(format!("{} not found", kind.name)),
        WriteError::Conflict(attribute) => {
            ScimError::uniqueness(format!("another {} of this connection has the same {attribute}", kind.name))
        }
        WriteError::Rejected(e) => e.into(),
        WriteError::Storage(e) => e.into(),
    }
}

impl From<()> for ScimError {
    fn from((): ()) -> Self {
        ScimError::internal()
    }
}

impl<'a> Endpoint<'a> {
    /// The resource type's schema with the connection's custom extensions.
    pub fn schema(&self) -> ResourceSchema<'a> {
        self.kind.schema.with_custom(self.custom)
    }

    /// Notes in the request's journal that this connection's IdP did `action` to `id`.
    fn audit(&self, action: Action, id: &str, inactive_delta: i8) {
        self.app.record(Event {
            seq: 0,
            at: self.app.now(),
            actor: Actor::Idp,
            connection_id: self.connection.id.clone(),
            connection_name: self.connection.name.clone(),
            action,
            resource_type: self.kind.name.to_owned(),
            resource_id: id.to_owned(),
            detail: None,
            inactive_delta,
        });
    }

    /// Notes a change of `id` from `was_active` to the state of `record`.
    fn audit_change(&self, id: &str, was_active: bool, record: &ResourceRecord) {
        match (self.kind.kind, was_active, is_active(&record.body)) {
            (Kind::Group, _, _) => self.audit(Action::GroupUpdated, id, 0),
            (Kind::User, true, false) => self.audit(Action::UserDeactivated, id, 1),
            (Kind::User, false, true) => self.audit(Action::UserReactivated, id, -1),
            (Kind::User, _, _) => self.audit(Action::UserUpdated, id, 0),
        }
    }

    fn policy(&self) -> Policy {
        Policy { accept_unknown: self.connection.accept_unknown_extensions }
    }

    fn resources(&self) -> Resources<'_> {
        Resources::new(self.app.store, &self.connection.id, self.kind.kind)
    }

    /// Renders records and adds the computed attribute when the projection may show it.
    fn render_all(&self, records: &[ResourceRecord], projection: &Projection) -> Result<Vec<Value>, ScimError> {
        let mut out: Vec<Value> = records.iter().map(|r| render(self.kind, r, self.base)).collect();
        let computed = self.kind.computed;
        if projection.may_include(computed.attribute()) {
            match computed {
                Computed::Groups => membership::add_groups(self.app, &self.connection.id, self.base, &mut out)?,
                Computed::Members => {
                    for resource in &mut out {
                        let id = resource["id"].as_str().unwrap_or_default().to_owned();
                        let value = membership::members_value(self.app, &self.connection.id, self.base, &id)?;
                        if let (Some(object), false) = (resource.as_object_mut(), value.is_empty()) {
                            object.insert("members".into(), Value::Array(value));
                        }
                    }
                }
            }
        }
        Ok(out)
    }

    fn respond(&self, status: u16, record: &ResourceRecord, projection: &Projection) -> Result<Response, ScimError> {
        let rendered = self.render_all(std::slice::from_ref(record), projection)?.pop().unwrap_or_default();
        let resource = projection.apply(&self.schema(), rendered);
        Ok(Response::scim(status, &resource)
            .header("etag", &etag(record))
            .header("location", &location(self.base, self.kind, &record.id)))
    }

    /// Replaces resource `id` with the body `make` derives from the current record, under the
    /// request's `If-Match`, with CAS (retried on a concurrent change).
    fn rewrite(
        &self,
        request: &Request,
        id: &str,
        mut make: impl FnMut(&ResourceRecord) -> Result<serde_json::Map<String, Value>, ScimError>,
    ) -> Result<ResourceRecord, ScimError> {
        let now = self.app.now();
        let mut was_active = true;
        let record = self
            .resources()
            .replace(id, now, |old| {
                if !if_match_holds(request, &etag(old)) {
                    return Err(ScimError::precondition_failed());
                }
                was_active = is_active(&old.body);
                let body = make(old)?;
                let unique = (self.kind.unique)(&body);
                let lookup = (self.kind.lookup)(&body);
                Ok(ResourceRecord { body: Value::Object(body), unique, lookup, last_modified: now, ..old.clone() })
            })
            .map_err(|e| write_error(self.kind, e))?;
        self.audit_change(id, was_active, &record);
        Ok(record)
    }

    /// Takes the `members` out of a normalised group body (they are stored as memberships).
    fn take_members(&self, body: &mut serde_json::Map<String, Value>) -> Option<Vec<Value>> {
        if self.kind.computed != Computed::Members {
            return None;
        }
        Some(match body.remove("members") {
            Some(Value::Array(items)) => items,
            _ => Vec::new(),
        })
    }

    fn apply_members(&self, group: &str, changes: &[Prepared]) -> Result<(), ScimError> {
        Ok(membership::apply(self.app, &self.connection.id, group, changes)?)
    }

    fn projection(request: &Request) -> Result<Projection, ScimError> {
        Projection::parse(request.query.get("attributes"), request.query.get("excludedAttributes"))
    }

    fn find(&self, id: &str) -> Result<ResourceRecord, ScimError> {
        let found = if ids::is_resource_id(id) { self.resources().get(id)? } else { None };
        found.ok_or_else(|| ScimError::not_found(format!("{} {id} not found", self.kind.name)))
    }

    /// `POST /{endpoint}`.
    pub fn create(&self, request: &Request) -> Result<Response, ScimError> {
        let projection = Self::projection(request)?;
        let mut body = normalize_request(&self.schema(), parse_body(request)?)?;
        extensions::check(&self.schema(), self.policy(), &body, None)?;
        let members = match self.take_members(&mut body) {
            Some(values) => membership::prepare(self.app, &self.connection.id, vec![MemberChange::Add(values)])?,
            None => Vec::new(),
        };
        let now = self.app.now();
        let record = ResourceRecord {
            id: ids::resource_id(self.app.env),
            state: RecordState::Pending,
            chunk: 0,
            version: 0,
            created: now,
            last_modified: now,
            unique: (self.kind.unique)(&body),
            lookup: (self.kind.lookup)(&body),
            body: Value::Object(body),
            writes: Vec::new(),
        };
        let record = self.resources().create(record, now).map_err(|e| write_error(self.kind, e))?;
        match self.kind.kind {
            Kind::User => self.audit(Action::UserCreated, &record.id, i8::from(!is_active(&record.body))),
            Kind::Group => self.audit(Action::GroupCreated, &record.id, 0),
        }
        self.apply_members(&record.id, &members)?;
        self.respond(201, &record, &projection)
    }

    /// `GET /{endpoint}/{id}`.
    pub fn get(&self, request: &Request, id: &str) -> Result<Response, ScimError> {
        let projection = Self::projection(request)?;
        let record = self.find(id)?;
        if if_none_match_hits(request, &etag(&record)) {
            return Ok(Response::empty(304).header("etag", &etag(&record)));
        }
        self.respond(200, &record, &projection)
    }

    /// `PUT /{endpoint}/{id}`.
    pub fn replace(&self, request: &Request, id: &str) -> Result<Response, ScimError> {
        let projection = Self::projection(request)?;
        self.find(id)?;
        let mut body = normalize_request(&self.schema(), parse_body(request)?)?;
        let members = match self.take_members(&mut body) {
            Some(values) => membership::prepare(self.app, &self.connection.id, vec![MemberChange::ReplaceAll(values)])?,
            None => Vec::new(),
        };
        let record = self.rewrite(request, id, |old| {
            extensions::check(&self.schema(), self.policy(), &body, old.body.as_object())?;
            Ok(body.clone())
        })?;
        self.apply_members(id, &members)?;
        self.respond(200, &record, &projection)
    }

    /// `PATCH /{endpoint}/{id}`.
    pub fn patch(&self, request: &Request, id: &str) -> Result<Response, ScimError> {
        let projection = Self::projection(request)?;
        self.find(id)?;
        let ops = patch::parse(&parse_body(request)?)?;
        let (ops, changes) = match self.kind.computed {
            Computed::Members => membership::split_ops(ops)?,
            Computed::Groups => (ops, Vec::new()),
        };
        let members = membership::prepare(self.app, &self.connection.id, changes)?;
        let record = self.rewrite(request, id, |old| {
            let current = old.body.as_object().cloned().unwrap_or_default();
            let body = patch::apply(&self.schema(), &current, &ops)?;
            extensions::check(&self.schema(), self.policy(), &body, Some(&current))?;
            Ok(body)
        })?;
        self.apply_members(id, &members)?;
        self.respond(200, &record, &projection)
    }

    /// `DELETE /{endpoint}/{id}`.
    pub fn delete(&self, request: &Request, id: &str) -> Result<Response, ScimError> {
        self.find(id)?;
        let was_active = std::cell::Cell::new(true);
        self.resources()
            .delete(id, self.app.now(), |record| {
                was_active.set(is_active(&record.body));
                if if_match_holds(request, &etag(record)) { Ok(()) } else { Err(ScimError::precondition_failed()) }
            })
            .map_err(|e| write_error(self.kind, e))?;
        match self.kind.kind {
            Kind::User => self.audit(Action::UserDeleted, id, -i8::from(!was_active.get())),
            Kind::Group => self.audit(Action::GroupDeleted, id, 0),
        }
        if self.kind.computed == Computed::Members {
            Members::new(self.app.store, &self.connection.id, id).purge()?;
        }
        members::leave_all(self.app.store, &self.connection.id, id)?;
        Ok(Response::empty(204))
    }

    /// `GET /{endpoint}` and `POST /{endpoint}/.search`.
    pub fn list(&self, params: &ListParams) -> Result<Response, ScimError> {
        if let Some(filter) = &params.filter {
            filter
                .check_types(&self.schema())
                .map_err(|e| ScimError::bad_request(ScimType::InvalidFilter, e.to_string()))?;
        }
        if params.filter.is_none() && params.sort_by.is_none() {
            return self.list_unfiltered(params);
        }
        let matching = self.matching(params)?;
        let ids: Vec<String> = matching.iter().filter_map(|r| r["id"].as_str().map(str::to_owned)).collect();
        let start = params.paging.start(&ids);
        let page_ids: Vec<String> = ids.iter().skip(start).take(params.count).cloned().collect();
        let computed = self.kind.computed.attribute();
        let page: Vec<Value> =
            if params.projection.may_include(computed) && !self.filter_names_computed(params.filter.as_ref()) {
                self.render_all(&self.resources().get_many(&page_ids)?, &params.projection)?
            } else {
                matching.into_iter().skip(start).take(params.count).collect()
            };
        let resources = page.into_iter().map(|r| params.projection.apply(&self.schema(), r)).collect();
        Ok(Response::scim(200, &page_response(params, ids.len(), &ids, start, resources)))
    }

    /// A page straight from the listing order: the listing directory, the page's chunk(s)
    /// and the page's records, whatever the offset.
    fn list_unfiltered(&self, params: &ListParams) -> Result<Response, ScimError> {
        let resources = self.resources();
        let start = match &params.paging {
            Paging::Index(start_index) => start_index - 1,
            Paging::Cursor(None) => 0,
            Paging::Cursor(Some(cursor)) => {
                let before = resources.page(cursor.offset.saturating_sub(1), 1)?;
                if cursor.offset > 0 && before.ids.first() == Some(&cursor.last_id) {
                    cursor.offset
                } else {
                    params.paging.start(&resources.ids()?)
                }
            }
        };
        let page = resources.page(start, params.count)?;
        let next = params.paging.next_after(start + page.ids.len(), page.total, page.ids.last().map(String::as_str));
        let rendered = self.render_all(&resources.get_many(&page.ids)?, &params.projection)?;
        let out = rendered.into_iter().map(|r| params.projection.apply(&self.schema(), r)).collect();
        Ok(Response::scim(200, &with_cursor(list_response(page.total, start, out), next)))
    }

    fn filter_names_computed(&self, filter: Option<&Filter>) -> bool {
        filter.is_some_and(|f| f.to_string().to_ascii_lowercase().contains(self.kind.computed.attribute()))
    }

    /// Candidate records for a filter: from the unique index or by id when the filter is a
    /// plain equality on them, else every record.
    fn candidates(&self, filter: Option<&Filter>) -> Result<Vec<ResourceRecord>, ScimError> {
        let resources = self.resources();
        if let Some((path, CompValue::Str(value))) = filter.and_then(Filter::as_equality) {
            let core = path.schema.as_deref().is_none_or(|s| s.eq_ignore_ascii_case(self.kind.schema.core));
            if core && path.sub_attr.is_none() {
                if path.matches_name("id") {
                    return Ok(if ids::is_resource_id(value) {
                        resources.get(value)?.into_iter().collect()
                    } else {
                        Vec::new()
                    });
                }
                if let Some(indexed) = self.kind.indexed.filter(|i| path.matches_name(i)) {
                    let unique = (indexed.to_owned(), value.to_lowercase());
                    return Ok(resources.find_unique(&unique)?.into_iter().collect());
                }
                if path.matches_name("externalId") {
                    return Ok(resources.find_indexed(&("externalId".to_owned(), value.clone()))?);
                }
            }
        }
        let mut out = Vec::new();
        for batch in resources.ids()?.chunks(256) {
            out.extend(resources.get_many(batch)?);
        }
        Ok(out)
    }

    /// Every resource matching the filter, rendered, in result order (sorted if asked).
    pub fn matching(&self, params: &ListParams) -> Result<Vec<Value>, ScimError> {
        let filter = params.filter.as_ref();
        let candidates = self.candidates(filter)?;
        // A filter naming the computed attribute needs it computed before filtering.
        let rendered = if self.filter_names_computed(filter) {
            self.render_all(&candidates, &Projection::default())?
        } else {
            candidates.iter().map(|r| render(self.kind, r, self.base)).collect()
        };
        let schema = self.schema();
        let mut matching: Vec<Value> =
            rendered.into_iter().filter(|r| filter.is_none_or(|f| f.matches(r, &schema))).collect();
        if let Some(path) = &params.sort_by {
            sort(&mut matching, path, params.sort_order, &schema);
        }
        Ok(matching)
    }
}
