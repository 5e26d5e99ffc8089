//! The core `User` schema and the Enterprise User extension (RFC 7643 §4.1, §4.3).

use super::attribute::Attribute as A;

/// URN of the core User schema.
pub const USER: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
/// URN of the Enterprise User extension.
pub const ENTERPRISE_USER: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";

const TYPED_VALUE: &[A<'static>] =
    &[A::string("value"), A::string("display"), A::string("type"), A::boolean("primary")];

const EMAIL: &[A<'static>] = &[
    A::string("value"),
    A::string("display"),
    A::string("type").canonical(&["work", "home", "other"]),
    A::boolean("primary"),
];

const PHONE: &[A<'static>] = &[
    A::string("value"),
    A::string("display"),
    A::string("type").canonical(&["work", "home", "mobile", "fax", "pager", "other"]),
    A::boolean("primary"),
];

const PHOTO: &[A<'static>] = &[
    A::reference("value").refers_to(&["external"]),
    A::string("display"),
    A::string("type").canonical(&["photo", "thumbnail"]),
    A::boolean("primary"),
];

const ADDRESS: &[A<'static>] = &[
    A::string("formatted"),
    A::string("streetAddress"),
    A::string("locality"),
    A::string("region"),
    A::string("postalCode"),
    A::string("country"),
    A::string("type").canonical(&["work", "home", "other"]),
    A::boolean("primary"),
];

const GROUP_REF: &[A<'static>] = &[
    A::string("value").read_only(),
    A::reference("$ref").refers_to(&["User", "Group"]).read_only(),
    A::string("display").read_only(),
    A::string("type").canonical(&["direct", "indirect"]).read_only(),
];

const CERTIFICATE: &[A<'static>] =
    &[A::binary("value"), A::string("display"), A::string("type"), A::boolean("primary")];

const NAME: &[A<'static>] = &[
    A::string("formatted"),
    A::string("familyName"),
    A::string("givenName"),
    A::string("middleName"),
    A::string("honorificPrefix"),
    A::string("honorificSuffix"),
];

/// Attributes of the core User schema.
pub static USER_ATTRIBUTES: &[A<'static>] = &[
    A::string("userName")
        .required()
        .server_unique()
        .describe("Unique identifier for the User, typically used to sign in."),
    A::complex("name", NAME).describe("The components of the user's real name."),
    A::string("displayName").describe("The name of the User, suitable for display to end-users."),
    A::string("nickName"),
    A::reference("profileUrl").refers_to(&["external"]),
    A::string("title"),
    A::string("userType"),
    A::string("preferredLanguage"),
    A::string("locale"),
    A::string("timezone"),
    A::boolean("active").describe("The User's administrative status."),
    A::string("password").write_only().describe("Accepted and discarded: idplex never stores passwords."),
    A::complex("emails", EMAIL).multi(),
    A::complex("phoneNumbers", PHONE).multi(),
    A::complex("ims", TYPED_VALUE).multi(),
    A::complex("photos", PHOTO).multi(),
    A::complex("addresses", ADDRESS).multi(),
    A::complex("groups", GROUP_REF)
        .multi()
        .read_only()
        .describe("Groups the user belongs to, computed from memberships."),
    A::complex("entitlements", TYPED_VALUE).multi(),
    A::complex("roles", TYPED_VALUE).multi(),
    A::complex("x509Certificates", CERTIFICATE).multi(),
];

const MANAGER: &[A<'static>] =
    &[A::string("value").case_exact(), A::reference("$ref").refers_to(&["User"]), A::string("displayName").read_only()];

/// Attributes of the Enterprise User extension.
pub static ENTERPRISE_USER_ATTRIBUTES: &[A<'static>] = &[
    A::string("employeeNumber"),
    A::string("costCenter"),
    A::string("organization"),
    A::string("division"),
    A::string("department"),
    A::complex("manager", MANAGER),
];
