//! The typed forms of a filter: attribute paths, operators, literals and the filter tree.

/// An attribute reference: `[schema ":"] name ["." sub_attr]` (RFC 7644 §3.10).
///
/// Names keep the spelling the client used, so a filter prints back as it was written, but
/// SCIM names are case-insensitive: compare paths with [`AttrPath::eq_ignore_case`] and
/// names with [`AttrPath::matches_name`], not with `==` (which compares spelling).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct AttrPath {
    /// The schema URN qualifying the name, e.g.
    /// `urn:ietf:params:scim:schemas:extension:enterprise:2.0:User`.
    pub schema: Option<String>,
    /// The attribute name, e.g. `emails`.
    pub name: String,
    /// The sub-attribute of a complex attribute, e.g. `givenName` in `name.givenName`.
    pub sub_attr: Option<String>,
}

impl AttrPath {
    /// A path naming a top-level attribute of the resource's core schema.
    pub fn new(name: impl Into<String>) -> Self {
        Self { schema: None, name: name.into(), sub_attr: None }
    }

    /// This path qualified by the schema URN `schema`.
    #[must_use]
    pub fn with_schema(mut self, schema: impl Into<String>) -> Self {
        self.schema = Some(schema.into());
        self
    }

    /// This path narrowed to the sub-attribute `sub_attr`.
    #[must_use]
    pub fn with_sub_attr(mut self, sub_attr: impl Into<String>) -> Self {
        self.sub_attr = Some(sub_attr.into());
        self
    }

    /// Whether the attribute name (not the sub-attribute) is `name`, ignoring case.
    pub fn matches_name(&self, name: &str) -> bool {
        self.name.eq_ignore_ascii_case(name)
    }

    /// Whether the sub-attribute is `sub_attr`, ignoring case; false when there is none.
    pub fn matches_sub_attr(&self, sub_attr: &str) -> bool {
        self.sub_attr.as_deref().is_some_and(|own| own.eq_ignore_ascii_case(sub_attr))
    }

    /// Whether the schema URN is `urn`, ignoring case; false when the path has no URN.
    pub fn matches_schema(&self, urn: &str) -> bool {
        self.schema.as_deref().is_some_and(|own| own.eq_ignore_ascii_case(urn))
    }

    /// Whether both paths name the same attribute, comparing every part case-insensitively.
    ///
    /// A missing schema only equals a missing schema: resolving `userName` against
    /// `urn:…:core:2.0:User:userName` needs the resource type and is left to the caller.
    pub fn eq_ignore_case(&self, other: &AttrPath) -> bool {
        fn same(a: Option<&str>, b: Option<&str>) -> bool {
            match (a, b) {
                (Some(a), Some(b)) => a.eq_ignore_ascii_case(b),
                (None, None) => true,
                _ => false,
            }
        }
        self.name.eq_ignore_ascii_case(&other.name)
            && same(self.schema.as_deref(), other.schema.as_deref())
            && same(self.sub_attr.as_deref(), other.sub_attr.as_deref())
    }
}

/// A comparison operator of RFC 7644 §3.4.2.2 (`pr` is [`Filter::Present`] instead).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CompareOp {
    /// `eq`: equal.
    Eq,
    /// `ne`: not equal.
    Ne,
    /// `co`: contains.
    Co,
    /// `sw`: starts with.
    Sw,
    /// `ew`: ends with.
    Ew,
    /// `gt`: greater than.
    Gt,
    /// `ge`: greater than or equal to.
    Ge,
    /// `lt`: less than.
    Lt,
    /// `le`: less than or equal to.
    Le,
}

impl CompareOp {
    /// Every operator, in the RFC's order.
    pub const ALL: [CompareOp; 9] =
        [Self::Eq, Self::Ne, Self::Co, Self::Sw, Self::Ew, Self::Gt, Self::Ge, Self::Lt, Self::Le];

    /// The operator's canonical (lower-case) spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Eq => "eq",
            Self::Ne => "ne",
            Self::Co => "co",
            Self::Sw => "sw",
            Self::Ew => "ew",
            Self::Gt => "gt",
            Self::Ge => "ge",
            Self::Lt => "lt",
            Self::Le => "le",
        }
    }

    /// The operator spelled `word`, in any case.
    pub fn from_keyword(word: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|op| op.as_str().eq_ignore_ascii_case(word))
    }

    /// Whether the operator orders values (`gt`, `ge`, `lt`, `le`).
    pub fn is_ordering(self) -> bool {
        matches!(self, Self::Gt | Self::Ge | Self::Lt | Self::Le)
    }
}

/// The literal on the right of a comparison: a JSON `false / null / true / number / string`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CompValue {
    /// A JSON string, unescaped.
    Str(String),
    /// A JSON number.
    Num(serde_json::Number),
    /// `true` or `false`.
    Bool(bool),
    /// `null`.
    Null,
}

/// A parsed filter expression.
///
/// `a and b and c` parses left-associated, as `And(And(a, b), c)`; printing adds the
/// parentheses any other shape needs, so `to_string().parse()` gives the same tree back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Filter {
    /// Both sides match.
    And(Box<Filter>, Box<Filter>),
    /// Either side matches.
    Or(Box<Filter>, Box<Filter>),
    /// The inner filter does not match (`not ( … )`).
    Not(Box<Filter>),
    /// `attr op value`.
    Compare(AttrPath, CompareOp, CompValue),
    /// `attr pr`: the attribute has a non-empty value.
    Present(AttrPath),
    /// `attr[inner]`: some value of the (multi-valued, complex) attribute matches `inner`,
    /// whose paths name sub-attributes of `attr`. The path never has a sub-attribute.
    Complex(AttrPath, Box<Filter>),
}

impl Filter {
    /// The path and value of a filter that is exactly one `attr eq value`, for index
    /// look-ups; `None` for anything else.
    pub fn as_equality(&self) -> Option<(&AttrPath, &CompValue)> {
        match self {
            Self::Compare(path, CompareOp::Eq, value) => Some((path, value)),
            _ => None,
        }
    }

    /// The operands of a left-leaning chain of `and` (`conjunction`) or `or`, left to right.
    ///
    /// `And(And(a, b), c)` gives `[a, b, c]`; a filter of another kind gives `[self]`.
    /// Walking chains this way keeps recursion bounded by [`super::MAX_DEPTH`] however
    /// long the chain.
    pub(super) fn chain(&self, conjunction: bool) -> Vec<&Filter> {
        let mut operands = Vec::new();
        let mut current = self;
        while let (Self::And(left, right), true) | (Self::Or(left, right), false) = (current, conjunction) {
            operands.push(&**right);
            current = left;
        }
        operands.push(current);
        operands.reverse();
        operands
    }
}
