//! The product kinds: one vocabulary for what a licence or an allowance is, whatever the vendor
//! calls it. The catalogue (`catalogue/*.json`) gives each vendor product key its kind.

use std::fmt;

use serde::{Deserialize, Serialize};

/// What a product is, across vendors. Serialized in `snake_case` (`large_meetings`).
///
/// The list is closed on purpose: a kind is added only with a documented reason, so that
/// totals by kind mean the same thing for every vendor. A kind this version does not know
/// (read from a newer report) is read as [`ProductKind::Other`].
///
/// ```
/// use meeting_usage::ProductKind;
/// assert_eq!(ProductKind::LargeMeetings.to_string(), "large_meetings");
/// assert_eq!(serde_json::to_value(ProductKind::Rooms).unwrap(), "rooms");
/// ```
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, Default,
)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum ProductKind {
    /// Named host licences and the bundles built around them (Zoom's base plan and Zoom One,
    /// Huawei's soft-client accounts).
    Meetings,
    /// Add-ons that raise a meeting's participant limit.
    LargeMeetings,
    /// Webinar licences.
    Webinars,
    /// Event platforms (Zoom Events).
    Events,
    /// Room systems, hardware terminals, connectors for them, and bookable workspaces.
    Rooms,
    /// Cloud meeting rooms that are not tied to a person (Huawei's VMR packages).
    VirtualRooms,
    /// Participants who may be in meetings at the same time (Huawei's conference ports).
    ConcurrentParticipants,
    /// Telephony: cloud phone licences and numbers.
    Phone,
    /// Team chat.
    Messaging,
    /// Digital whiteboards.
    Whiteboard,
    /// AI assistants and analytics sold per seat.
    Ai,
    /// Live streaming of meetings.
    LiveStreaming,
    /// On-premises or hybrid components of a cloud service (Zoom Node and its modules).
    Hybrid,
    /// Agent seats of a contact centre. Added because Zoom Contact Center (`plan_zcc`) sells
    /// seats that are neither meeting hosts nor phone lines, and Webex sells the same product.
    ContactCenter,
    /// Options bought on top of another licence (translated captions, a scheduler, support).
    AddOn,
    /// Recording storage, counted in bytes.
    RecordingStorage,
    /// A product the catalogue does not know.
    #[default]
    #[serde(other)]
    Other,
}

impl ProductKind {
    /// Every kind, in the order totals list them.
    pub const ALL: [ProductKind; 17] = [
        ProductKind::Meetings,
        ProductKind::LargeMeetings,
        ProductKind::Webinars,
        ProductKind::Events,
        ProductKind::Rooms,
        ProductKind::VirtualRooms,
        ProductKind::ConcurrentParticipants,
        ProductKind::Phone,
        ProductKind::Messaging,
        ProductKind::Whiteboard,
        ProductKind::Ai,
        ProductKind::LiveStreaming,
        ProductKind::Hybrid,
        ProductKind::ContactCenter,
        ProductKind::AddOn,
        ProductKind::RecordingStorage,
        ProductKind::Other,
    ];

    /// The kind as it appears in JSON, CSV and Prometheus labels: `large_meetings`.
    pub const fn as_str(self) -> &'static str {
        match self {
            ProductKind::Meetings => "meetings",
            ProductKind::LargeMeetings => "large_meetings",
            ProductKind::Webinars => "webinars",
            ProductKind::Events => "events",
            ProductKind::Rooms => "rooms",
            ProductKind::VirtualRooms => "virtual_rooms",
            ProductKind::ConcurrentParticipants => "concurrent_participants",
            ProductKind::Phone => "phone",
            ProductKind::Messaging => "messaging",
            ProductKind::Whiteboard => "whiteboard",
            ProductKind::Ai => "ai",
            ProductKind::LiveStreaming => "live_streaming",
            ProductKind::Hybrid => "hybrid",
            ProductKind::ContactCenter => "contact_center",
            ProductKind::AddOn => "add_on",
            ProductKind::RecordingStorage => "recording_storage",
            ProductKind::Other => "other",
        }
    }
}

impl fmt::Display for ProductKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_match_serde_and_unknown_kinds_read_as_other() {
        for kind in ProductKind::ALL {
            assert_eq!(serde_json::to_value(kind).ok(), Some(kind.as_str().into()));
            let back: Option<ProductKind> = serde_json::from_value(kind.as_str().into()).ok();
            assert_eq!(back, Some(kind));
        }
        let newer: Option<ProductKind> = serde_json::from_str("\"holograms\"").ok();
        assert_eq!(newer, Some(ProductKind::Other));
        let mut sorted = ProductKind::ALL;
        sorted.sort();
        assert_eq!(sorted, ProductKind::ALL);
    }
}
