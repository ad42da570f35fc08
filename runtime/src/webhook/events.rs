//! Clerk's webhook events, typed, with Clerk's JSON field names (the Backend API's `UserJSON`,
//! `OrganizationJSON`, … shapes). Every field but the ID is optional and every other member is
//! kept in `other`, so a field Clerk adds never breaks an app; an event type this crate does not
//! know yet arrives as [`ClerkEvent::Unknown`] with its raw JSON.

use serde::de::{self, Deserializer};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// An email address of a user.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EmailAddress {
    /// `idn_…`.
    pub id: String,
    /// The address.
    pub email_address: String,
    /// Everything else Clerk sent.
    #[serde(flatten)]
    pub other: Map<String, Value>,
}

/// A user (`user.created`, `user.updated`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct User {
    /// `user_…`.
    pub id: String,
    /// First name.
    pub first_name: Option<String>,
    /// Last name.
    pub last_name: Option<String>,
    /// Username.
    pub username: Option<String>,
    /// The ID of the primary email address among `email_addresses`.
    pub primary_email_address_id: Option<String>,
    /// Email addresses.
    #[serde(default)]
    pub email_addresses: Vec<EmailAddress>,
    /// Profile image.
    pub image_url: Option<String>,
    /// Your system's ID for the user.
    pub external_id: Option<String>,
    /// Public metadata.
    #[serde(default)]
    pub public_metadata: Value,
    /// Created at, ms since the epoch.
    pub created_at: Option<i64>,
    /// Updated at, ms since the epoch.
    pub updated_at: Option<i64>,
    /// Everything else Clerk sent.
    #[serde(flatten)]
    pub other: Map<String, Value>,
}

impl User {
    /// The primary email address, if any.
    #[must_use]
    pub fn primary_email(&self) -> Option<&str> {
        let primary = self.primary_email_address_id.as_deref()?;
        self.email_addresses.iter().find(|e| e.id == primary).map(|e| e.email_address.as_str())
    }
}

/// Something deleted (`user.deleted`, `organization.deleted`, …): its ID.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Deleted {
    /// The deleted object's ID (Clerk sends none for some deletions).
    pub id: Option<String>,
    /// `true`.
    #[serde(default)]
    pub deleted: bool,
    /// Everything else Clerk sent.
    #[serde(flatten)]
    pub other: Map<String, Value>,
}

/// An organisation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Organization {
    /// `org_…`.
    pub id: String,
    /// Name.
    pub name: Option<String>,
    /// Slug.
    pub slug: Option<String>,
    /// Public metadata.
    #[serde(default)]
    pub public_metadata: Value,
    /// Created at, ms since the epoch.
    pub created_at: Option<i64>,
    /// Updated at, ms since the epoch.
    pub updated_at: Option<i64>,
    /// Everything else Clerk sent.
    #[serde(flatten)]
    pub other: Map<String, Value>,
}

/// The user side of a membership (`public_user_data`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PublicUserData {
    /// `user_…`.
    pub user_id: String,
    /// The email or phone the user is known by.
    pub identifier: Option<String>,
    /// First name.
    pub first_name: Option<String>,
    /// Last name.
    pub last_name: Option<String>,
    /// Everything else Clerk sent.
    #[serde(flatten)]
    pub other: Map<String, Value>,
}

/// A membership (`organizationMembership.*`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OrganizationMembership {
    /// `orgmem_…`.
    pub id: String,
    /// `org:admin`, `org:member`, ….
    pub role: Option<String>,
    /// The organisation.
    pub organization: Option<Organization>,
    /// The user.
    pub public_user_data: Option<PublicUserData>,
    /// Everything else Clerk sent.
    #[serde(flatten)]
    pub other: Map<String, Value>,
}

/// An invitation to an organisation (`organizationInvitation.*`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OrganizationInvitation {
    /// `orginv_…`.
    pub id: String,
    /// Who is invited.
    pub email_address: Option<String>,
    /// The role offered.
    pub role: Option<String>,
    /// `pending`, `accepted`, `revoked`.
    pub status: Option<String>,
    /// The organisation.
    pub organization_id: Option<String>,
    /// Everything else Clerk sent.
    #[serde(flatten)]
    pub other: Map<String, Value>,
}

/// A session (`session.*`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Session {
    /// `sess_…`.
    pub id: String,
    /// `user_…`.
    pub user_id: Option<String>,
    /// `client_…`.
    pub client_id: Option<String>,
    /// `active`, `ended`, `removed`, `revoked`, ….
    pub status: Option<String>,
    /// Everything else Clerk sent.
    #[serde(flatten)]
    pub other: Map<String, Value>,
}

/// An email Clerk sends (`email.created`, when you deliver emails yourself).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Email {
    /// `ema_…`.
    pub id: String,
    /// The recipient.
    pub to_email_address: Option<String>,
    /// The subject.
    pub subject: Option<String>,
    /// The template (`verification_code`, `magic_link_sign_in`, …).
    pub slug: Option<String>,
    /// Everything else Clerk sent.
    #[serde(flatten)]
    pub other: Map<String, Value>,
}

/// A Clerk webhook event: `{"type": …, "data": …}` read by its type.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum ClerkEvent {
    /// `user.created`
    UserCreated(User),
    /// `user.updated`
    UserUpdated(User),
    /// `user.deleted`
    UserDeleted(Deleted),
    /// `organization.created`
    OrganizationCreated(Organization),
    /// `organization.updated`
    OrganizationUpdated(Organization),
    /// `organization.deleted`
    OrganizationDeleted(Deleted),
    /// `organizationMembership.created`
    OrganizationMembershipCreated(OrganizationMembership),
    /// `organizationMembership.updated`
    OrganizationMembershipUpdated(OrganizationMembership),
    /// `organizationMembership.deleted`
    OrganizationMembershipDeleted(OrganizationMembership),
    /// `organizationInvitation.created`
    OrganizationInvitationCreated(OrganizationInvitation),
    /// `organizationInvitation.accepted`
    OrganizationInvitationAccepted(OrganizationInvitation),
    /// `organizationInvitation.revoked`
    OrganizationInvitationRevoked(OrganizationInvitation),
    /// `session.created`
    SessionCreated(Session),
    /// `session.ended`
    SessionEnded(Session),
    /// `session.removed`
    SessionRemoved(Session),
    /// `session.revoked`
    SessionRevoked(Session),
    /// `email.created`
    EmailCreated(Email),
    /// Any other event type, kept as it came.
    Unknown {
        /// The event's `type`.
        event_type: String,
        /// Its `data`.
        data: Value,
    },
}

impl ClerkEvent {
    /// The ID of the object the event is about (`user_…`, `org_…`, `sess_…`, …), when it has one.
    #[must_use]
    pub fn object_id(&self) -> Option<&str> {
        match self {
            Self::UserCreated(u) | Self::UserUpdated(u) => Some(&u.id),
            Self::UserDeleted(d) | Self::OrganizationDeleted(d) => d.id.as_deref(),
            Self::OrganizationCreated(o) | Self::OrganizationUpdated(o) => Some(&o.id),
            Self::OrganizationMembershipCreated(m)
            | Self::OrganizationMembershipUpdated(m)
            | Self::OrganizationMembershipDeleted(m) => Some(&m.id),
            Self::OrganizationInvitationCreated(i)
            | Self::OrganizationInvitationAccepted(i)
            | Self::OrganizationInvitationRevoked(i) => Some(&i.id),
            Self::SessionCreated(s) | Self::SessionEnded(s) | Self::SessionRemoved(s) | Self::SessionRevoked(s) => {
                Some(&s.id)
            }
            Self::EmailCreated(e) => Some(&e.id),
            Self::Unknown { data, .. } => data.get("id").and_then(Value::as_str),
        }
    }

    /// The event's `type`, as Clerk spells it.
    #[must_use]
    pub fn event_type(&self) -> &str {
        match self {
            Self::UserCreated(_) => "user.created",
            Self::UserUpdated(_) => "user.updated",
            Self::UserDeleted(_) => "user.deleted",
            Self::OrganizationCreated(_) => "organization.created",
            Self::OrganizationUpdated(_) => "organization.updated",
            Self::OrganizationDeleted(_) => "organization.deleted",
            Self::OrganizationMembershipCreated(_) => "organizationMembership.created",
            Self::OrganizationMembershipUpdated(_) => "organizationMembership.updated",
            Self::OrganizationMembershipDeleted(_) => "organizationMembership.deleted",
            Self::OrganizationInvitationCreated(_) => "organizationInvitation.created",
            Self::OrganizationInvitationAccepted(_) => "organizationInvitation.accepted",
            Self::OrganizationInvitationRevoked(_) => "organizationInvitation.revoked",
            Self::SessionCreated(_) => "session.created",
            Self::SessionEnded(_) => "session.ended",
            Self::SessionRemoved(_) => "session.removed",
            Self::SessionRevoked(_) => "session.revoked",
            Self::EmailCreated(_) => "email.created",
            Self::Unknown { event_type, .. } => event_type,
        }
    }
}

impl<'de> Deserialize<'de> for ClerkEvent {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        struct Envelope {
            #[serde(rename = "type")]
            event_type: String,
            data: Value,
        }
        let Envelope { event_type, data } = Envelope::deserialize(deserializer)?;
        fn typed<T: serde::de::DeserializeOwned, E: de::Error>(data: Value) -> Result<T, E> {
            serde_json::from_value(data).map_err(E::custom)
        }
        Ok(match event_type.as_str() {
            "user.created" => Self::UserCreated(typed(data)?),
            "user.updated" => Self::UserUpdated(typed(data)?),
            "user.deleted" => Self::UserDeleted(typed(data)?),
            "organization.created" => Self::OrganizationCreated(typed(data)?),
            "organization.updated" => Self::OrganizationUpdated(typed(data)?),
            "organization.deleted" => Self::OrganizationDeleted(typed(data)?),
            "organizationMembership.created" => Self::OrganizationMembershipCreated(typed(data)?),
            "organizationMembership.updated" => Self::OrganizationMembershipUpdated(typed(data)?),
            "organizationMembership.deleted" => Self::OrganizationMembershipDeleted(typed(data)?),
            "organizationInvitation.created" => Self::OrganizationInvitationCreated(typed(data)?),
            "organizationInvitation.accepted" => Self::OrganizationInvitationAccepted(typed(data)?),
            "organizationInvitation.revoked" => Self::OrganizationInvitationRevoked(typed(data)?),
            "session.created" => Self::SessionCreated(typed(data)?),
            "session.ended" => Self::SessionEnded(typed(data)?),
            "session.removed" => Self::SessionRemoved(typed(data)?),
            "session.revoked" => Self::SessionRevoked(typed(data)?),
            "email.created" => Self::EmailCreated(typed(data)?),
            _ => Self::Unknown { event_type, data },
        })
    }
}
