//! One attribute definition and its characteristics (RFC 7643 §2.2, §7).

/// An attribute's data type; in JSON as RFC 7643 §7 spells it (`dateTime`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Type {
    /// `string`
    String,
    /// `boolean`
    Boolean,
    /// `decimal`
    Decimal,
    /// `integer`
    Integer,
    /// `dateTime`
    DateTime,
    /// `binary`
    Binary,
    /// `reference`
    Reference,
    /// `complex`
    Complex,
}

/// When an attribute may be written; in JSON as RFC 7643 §7 spells it (`readWrite`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Mutability {
    /// Set by the server only; ignored on write.
    ReadOnly,
    /// Freely writable.
    ReadWrite,
    /// Set once, never changed.
    Immutable,
    /// Written, never returned.
    WriteOnly,
}

/// When an attribute is returned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Returned {
    /// Always, even when excluded.
    Always,
    /// Never.
    Never,
    /// Unless excluded.
    Default,
    /// Only when asked for by `attributes`.
    Request,
}

/// Uniqueness of an attribute's values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Uniqueness {
    /// No constraint.
    None,
    /// Unique within the service provider (here: within the connection).
    Server,
    /// Globally unique.
    Global,
}

/// A list of texts: written into the static schema tables, or owned by a registered custom
/// schema ([`super::custom`]).
#[derive(Debug, Clone, Copy)]
pub enum Texts<'a> {
    /// From a static table.
    Static(&'a [&'a str]),
    /// From a registered definition.
    Owned(&'a [String]),
}

impl<'a> Texts<'a> {
    /// Whether the list is empty.
    pub fn is_empty(&self) -> bool {
        match self {
            Texts::Static(list) => list.is_empty(),
            Texts::Owned(list) => list.is_empty(),
        }
    }

    /// The texts, in order.
    pub fn to_vec(&self) -> Vec<&'a str> {
        match self {
            Texts::Static(list) => list.to_vec(),
            Texts::Owned(list) => list.iter().map(String::as_str).collect(),
        }
    }
}

/// An attribute definition. `'a` is `'static` for the built-in schemas and the life of a
/// request's registered custom schemas for theirs.
#[derive(Debug, Clone, Copy)]
pub struct Attribute<'a> {
    /// The attribute name in its canonical spelling.
    pub name: &'a str,
    /// Its type.
    pub kind: Type,
    /// Whether it holds a list of values.
    pub multi_valued: bool,
    /// Whether a value is required.
    pub required: bool,
    /// Whether case matters in comparisons.
    pub case_exact: bool,
    /// When it may be written.
    pub mutability: Mutability,
    /// When it is returned.
    pub returned: Returned,
    /// Uniqueness of its values.
    pub uniqueness: Uniqueness,
    /// Sub-attributes of a complex attribute.
    pub sub_attributes: &'a [Attribute<'a>],
    /// The allowed values, when the set is closed or suggested.
    pub canonical_values: Texts<'a>,
    /// For references, the kinds of resource referred to.
    pub reference_types: Texts<'a>,
    /// A description for `/Schemas`.
    pub description: &'a str,
}

impl Attribute<'static> {
    /// A string attribute.
    pub const fn string(name: &'static str) -> Self {
        Self::of(name, Type::String)
    }
    /// A boolean attribute.
    pub const fn boolean(name: &'static str) -> Self {
        Self::of(name, Type::Boolean)
    }
    /// A dateTime attribute.
    pub const fn date_time(name: &'static str) -> Self {
        Self::of(name, Type::DateTime)
    }
    /// A binary attribute.
    pub const fn binary(name: &'static str) -> Self {
        Self::of(name, Type::Binary).case_exact()
    }
    /// A reference attribute.
    pub const fn reference(name: &'static str) -> Self {
        Self::of(name, Type::Reference).case_exact()
    }
    /// A complex attribute with its sub-attributes.
    pub const fn complex(name: &'static str, sub_attributes: &'static [Attribute<'static>]) -> Self {
        let mut a = Self::of(name, Type::Complex);
        a.sub_attributes = sub_attributes;
        a
    }
    /// Marks it multi-valued.
    pub const fn multi(mut self) -> Self {
        self.multi_valued = true;
        self
    }
    /// Marks it required.
    pub const fn required(mut self) -> Self {
        self.required = true;
        self
    }
    /// Marks it case-exact.
    pub const fn case_exact(mut self) -> Self {
        self.case_exact = true;
        self
    }
    /// Marks it read-only.
    pub const fn read_only(mut self) -> Self {
        self.mutability = Mutability::ReadOnly;
        self
    }
    /// Marks it immutable.
    pub const fn immutable(mut self) -> Self {
        self.mutability = Mutability::Immutable;
        self
    }
    /// Marks it write-only and never returned.
    pub const fn write_only(mut self) -> Self {
        self.mutability = Mutability::WriteOnly;
        self.returned = Returned::Never;
        self
    }
    /// Marks it always returned.
    pub const fn always(mut self) -> Self {
        self.returned = Returned::Always;
        self
    }
    /// Marks it unique within the server.
    pub const fn server_unique(mut self) -> Self {
        self.uniqueness = Uniqueness::Server;
        self
    }
    /// Sets canonical values.
    pub const fn canonical(mut self, values: &'static [&'static str]) -> Self {
        self.canonical_values = Texts::Static(values);
        self
    }
    /// Sets reference types.
    pub const fn refers_to(mut self, types: &'static [&'static str]) -> Self {
        self.reference_types = Texts::Static(types);
        self
    }
    /// Sets the description.
    pub const fn describe(mut self, description: &'static str) -> Self {
        self.description = description;
        self
    }
}

impl<'a> Attribute<'a> {
    /// An attribute of `kind` with the default characteristics (RFC 7643 §7: single-valued,
    /// optional, case-insensitive, readWrite, returned by default, no uniqueness).
    pub const fn of(name: &'a str, kind: Type) -> Self {
        Attribute {
            name,
            kind,
            multi_valued: false,
            required: false,
            case_exact: false,
            mutability: Mutability::ReadWrite,
            returned: Returned::Default,
            uniqueness: Uniqueness::None,
            sub_attributes: &[],
            canonical_values: Texts::Static(&[]),
            reference_types: Texts::Static(&[]),
            description: "",
        }
    }

    /// The sub-attribute `name` (case-insensitive), if any.
    pub fn sub_attribute(&self, name: &str) -> Option<&'a Attribute<'a>> {
        self.sub_attributes.iter().find(|a| a.name.eq_ignore_ascii_case(name))
    }
}
