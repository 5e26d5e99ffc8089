//! Schema definitions (RFC 7643): attribute names, types and characteristics, used to
//! normalise writes, type filter comparisons and sorting, and answer `/Schemas`.
//!
//! The core and Enterprise User schemas are static tables (`user`, `group`); the custom
//! extension schemas an admin registers ([`custom`]) join a request's [`ResourceSchema`]
//! through [`ResourceSchema::with_custom`].

mod attribute;
pub mod custom;
mod group;
mod user;

pub use attribute::{Attribute, Mutability, Returned, Texts, Type, Uniqueness};
pub use custom::Extension;
pub use group::{GROUP, GROUP_ATTRIBUTES};
pub use user::{ENTERPRISE_USER, ENTERPRISE_USER_ATTRIBUTES, USER, USER_ATTRIBUTES};

use super::filter::{AttrKind, AttrPath, AttributeTypes};

/// The schema of one resource type: its core schema and the extensions it knows. The
/// built-in ones are `'static`; a request adds the custom extensions registered for its
/// connection with [`ResourceSchema::with_custom`].
#[derive(Clone, Copy)]
pub struct ResourceSchema<'a> {
    /// URN of the core schema.
    pub core: &'a str,
    /// Attributes of the core schema.
    pub attributes: &'a [Attribute<'a>],
    /// Built-in extensions: URN and attributes.
    pub extensions: &'a [(&'a str, &'a [Attribute<'a>])],
    /// Registered custom extensions, of every resource type: those whose
    /// [`Extension::core`] is not [`ResourceSchema::core`] are not this type's.
    pub custom: &'a [Extension<'a>],
}

/// The `User` resource type with the Enterprise User extension.
pub static USER_SCHEMA: ResourceSchema<'static> = ResourceSchema {
    core: USER,
    attributes: USER_ATTRIBUTES,
    extensions: &[(ENTERPRISE_USER, ENTERPRISE_USER_ATTRIBUTES)],
    custom: &[],
};

/// The `Group` resource type.
pub static GROUP_SCHEMA: ResourceSchema<'static> =
    ResourceSchema { core: GROUP, attributes: GROUP_ATTRIBUTES, extensions: &[], custom: &[] };

/// The attributes every resource has (RFC 7643 §3.1).
pub static COMMON_ATTRIBUTES: &[Attribute<'static>] = &[
    Attribute::string("id").case_exact().read_only().always().server_unique(),
    Attribute::string("externalId").case_exact(),
    Attribute::complex(
        "meta",
        &[
            Attribute::string("resourceType").case_exact().read_only(),
            Attribute::date_time("created").read_only(),
            Attribute::date_time("lastModified").read_only(),
            Attribute::reference("location").read_only(),
            Attribute::string("version").case_exact().read_only(),
        ],
    )
    .read_only(),
];

impl<'a> ResourceSchema<'a> {
    /// This schema with the registered custom extensions `custom` (of any resource type).
    pub fn with_custom(&self, custom: &'a [Extension<'a>]) -> ResourceSchema<'a> {
        ResourceSchema { custom, ..*self }
    }

    /// Every extension of this resource type, built-in first: URN and attributes.
    pub fn all_extensions(&self) -> impl Iterator<Item = (&'a str, &'a [Attribute<'a>])> + '_ {
        let core = self.core;
        self.extensions.iter().copied().chain(
            self.custom
                .iter()
                .filter(move |e| e.core.eq_ignore_ascii_case(core))
                .map(|e| (e.urn, e.attributes.as_slice())),
        )
    }

    /// The attributes of schema `urn` (`None`: the core schema), if known.
    pub fn attributes_of(&self, urn: Option<&str>) -> Option<&'a [Attribute<'a>]> {
        match urn {
            None => Some(self.attributes),
            Some(urn) if urn.eq_ignore_ascii_case(self.core) => Some(self.attributes),
            Some(urn) => self.all_extensions().find(|(u, _)| u.eq_ignore_ascii_case(urn)).map(|(_, a)| a),
        }
    }

    /// The definition of a top-level attribute of schema `urn` (or the core and common
    /// attributes), by case-insensitive name.
    pub fn find(&self, urn: Option<&str>, name: &str) -> Option<&'a Attribute<'a>> {
        let own = self.attributes_of(urn)?.iter().find(|a| a.name.eq_ignore_ascii_case(name));
        let core = urn.is_none_or(|u| u.eq_ignore_ascii_case(self.core));
        own.or_else(|| if core { COMMON_ATTRIBUTES.iter().find(|a| a.name.eq_ignore_ascii_case(name)) } else { None })
    }

    /// The known extension URN equal to `urn` ignoring case, in its canonical spelling.
    pub fn extension(&self, urn: &str) -> Option<&'a str> {
        self.all_extensions().map(|(u, _)| u).find(|u| u.eq_ignore_ascii_case(urn))
    }

    /// The definition the path names (sub-attribute included), if known.
    pub fn resolve(&self, path: &AttrPath) -> Option<&'a Attribute<'a>> {
        let attribute = self.find(path.schema.as_deref(), &path.name)?;
        match &path.sub_attr {
            None => Some(attribute),
            Some(sub) => attribute.sub_attribute(sub),
        }
    }
}

impl AttributeTypes for ResourceSchema<'_> {
    fn kind(&self, path: &AttrPath) -> AttrKind {
        match self.resolve(path) {
            None => AttrKind::Unknown,
            Some(attribute) => match attribute.kind {
                Type::String => AttrKind::String { case_exact: attribute.case_exact },
                Type::Boolean => AttrKind::Boolean,
                Type::Integer => AttrKind::Integer,
                Type::Decimal => AttrKind::Decimal,
                Type::DateTime => AttrKind::DateTime,
                Type::Binary => AttrKind::Binary,
                Type::Reference => AttrKind::Reference,
                Type::Complex => AttrKind::Complex,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolves_core_extension_and_sub_attributes_case_insensitively() {
        let kind = |s: &str| USER_SCHEMA.kind(&AttrPath::new(s));
        assert_eq!(kind("USERNAME"), AttrKind::String { case_exact: false });
        assert_eq!(kind("id"), AttrKind::String { case_exact: true });
        assert_eq!(kind("active"), AttrKind::Boolean);
        let sub = AttrPath::new("meta").with_sub_attr("LastModified");
        assert_eq!(USER_SCHEMA.kind(&sub), AttrKind::DateTime);
        let ext = AttrPath::new("employeeNumber").with_schema(ENTERPRISE_USER.to_uppercase());
        assert_eq!(USER_SCHEMA.kind(&ext), AttrKind::String { case_exact: false });
        assert_eq!(kind("nonsense"), AttrKind::Unknown);
    }
}
