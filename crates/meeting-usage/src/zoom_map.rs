//! Zoom's plan-usage report (`GetPlanUsage`, `GET /accounts/{accountId}/plans/usage`) in the
//! usage model.
//!
//! # How the report is read
//!
//! The report arrives decoded as the generated [`PlanUsageReport`]: one typed field per
//! `plan_*` key the spec knows, and an `extra` map with every key it does not know yet. Zoom
//! adds plan keys several times a year, so the mapping does not name the known fields one by
//! one (which would lose a key the moment the spec learns it and the field list here does
//! not): it walks the report's serde encoding (known fields and `extra` alike) and reads each
//! member by its shape:
//!
//! - `plan_recording` (at the top or inside a group) → the fields of [`RecordingUsage`] → one
//!   [`Storage`] row;
//! - any other `plan_*` key holding an object of seat fields, or a list of them (Zoom sends
//!   both forms for several keys) → the fields of [`UnitedPlanUsage`], the generated schema
//!   with every seat field (`hosts`, `usage`, `pending`, `type`, plus `name`) → one [`Seats`]
//!   row per entry. `hosts` is bought, `usage` assigned, `pending` waiting; `product` is the
//!   key;
//! - a `plan_*` key holding an object whose members are themselves `plan_*` keys (a group
//!   such as `plan_znode`, `plan_zcc` or `plan_phone`, which Zoom nests in other plan
//!   responses) → each member in turn, with the dotted product key `plan_zcc.plan_usage`.
//!
//! Adding a plan key to the spec therefore needs no change here.
//!
//! The report is mapped member by member while it encodes itself: a plan entry, a list of
//! entries or the recording object whose fields all have the expected types is read straight
//! from the encoding, without any intermediate value, and only the texts the model keeps are
//! copied. Any other member (a group, an unknown field, a field of another type) is read
//! through a second, general walk, a small [`serde::Serializer`] that records the encoding as a
//! [`Node`] tree: a `serde_json::Value` without its hash maps (objects are member lists in
//! order) whose object keys of the generated types are not copied. The common shapes are read
//! straight from it; a value of an odd shape is turned into a `serde_json::Value` and decoded through the
//! generated type, so that what ends up in `unrecognized` (value and reason) is exactly what
//! decoding says. The result is the same as re-encoding the report to a `Value` and decoding
//! every member again (the tests compare both on arbitrary reports), at a fraction of the
//! cost.
//!
//! # What goes to `unrecognized`
//!
//! Every value the model cannot hold is listed verbatim with its JSON pointer, never dropped
//! and never a panic:
//!
//! - a key that is not a `plan_*` key;
//! - a `plan_*` value of another shape (text, number, a list entry that is not an object, an
//!   object without any seat field, nesting deeper than [`MAX_DEPTH`]);
//! - a member of a plan entry the seat model has no place for (e.g. `partner_sku`), except
//!   `active_hosts`, a documented base-plan figure (hosts active in the billing period) that
//!   the seat model deliberately leaves out;
//! - a negative licence count (the field becomes `null`);
//! - a storage text [`parse_size`] refuses (the part's bytes and its total become `null`),
//!   and a `max_exceed_date` that is not a `yyyy-mm-dd` date;
//! - unknown members of `plan_recording`.
//!
//! A `null` plan value carries nothing and is skipped. An empty storage text (`""`) is read as
//! "not reported": the part is kept with its text and no bytes, so its total is `null`, but it
//! is not listed as unrecognized.

use std::fmt;

use serde::Deserialize;
use serde::ser::{self, Serialize};
use serde_json::Value;
use zoom_billing::types::{PlanUsageReport, RecordingUsage, UnitedPlanUsage};

use crate::model::{
    Seats, Storage, StoragePart, StorageRole, Unrecognized, UsageReport, Vendor, pointer_join,
};
use crate::size::{SizeError, parse_size};
use crate::time::parse_date;

/// The spec operation whose response is mapped here.
const OPERATION: &str = "GetPlanUsage";

/// The key of Zoom's recording-storage figures.
const RECORDING_KEY: &str = "plan_recording";

/// Deepest nesting of plan groups followed (Zoom's groups are one level deep).
const MAX_DEPTH: usize = 8;

/// Documented members of a plan entry the seat model leaves out on purpose.
const IGNORED_ENTRY_FIELDS: &[&str] = &["active_hosts"];

/// The storage figures of `plan_recording`, in the order the parts are listed, with their
/// role.
const STORAGE_FIELDS: [(&str, StorageRole); 5] = [
    ("plan_storage", StorageRole::Purchased),
    ("free_storage", StorageRole::Purchased),
    ("plan_storage_usage", StorageRole::Used),
    ("free_storage_usage", StorageRole::Used),
    ("plan_storage_exceed", StorageRole::Exceeded),
];

/// The usage report of Zoom account `account`, collected at `collected_at` (RFC 3339), from
/// the decoded `GetPlanUsage` response. Seat rows are ordered by product key (entries of one
/// key keep Zoom's order); `activity` and `expiring` are `None` (Zoom reports neither).
pub(crate) fn zoom_report(
    account: &str,
    usage: &PlanUsageReport,
    collected_at: String,
) -> UsageReport {
    let mut mapper = Mapper {
        report: UsageReport::new(Vendor::Zoom, account, collected_at),
    };
    // Zoom's answers hold about twenty plan entries (fifteen keys, some of them lists).
    mapper.report.seats.reserve(32);
    if usage.serialize(ReportSerializer(&mut mapper)).is_err() {
        // Not an object, or a member whose encoding failed: the whole report through the tree,
        // which says what is wrong exactly as it always did.
        let report = &mut mapper.report;
        report.seats.clear();
        report.storage.clear();
        report.unrecognized.clear();
        mapper.tree(usage);
    }
    let mut report = mapper.report;
    report.seats.sort_by(|a, b| a.product().cmp(b.product()));
    report.classify();
    report
}

impl Mapper {
    /// The whole report as one [`Node`] tree, then each member.
    fn tree(&mut self, usage: &PlanUsageReport) {
        match usage.serialize(NodeSerializer) {
            Ok(Node::Map(members)) => {
                for (key, value) in members {
                    self.top_level(key.as_str(), value);
                }
            }
            Ok(other) => self.unrecognized(
                &Path::Root,
                other.into_value(),
                "the plan usage report is not an object",
            ),
            Err(error) => self.unrecognized(
                &Path::Root,
                Value::Null,
                format!("the decoded plan usage report could not be re-encoded: {error}"),
            ),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The encoding of the report as a tree.

/// An object key: the generated types' own keys are `'static` and not copied.
#[derive(Debug)]
enum Key {
    Static(&'static str),
    Owned(String),
}

impl Key {
    fn as_str(&self) -> &str {
        match self {
            Key::Static(key) => key,
            Key::Owned(key) => key,
        }
    }

    /// A key met as text: a known member name is kept as its `'static` copy.
    fn intern(key: &str) -> Key {
        // The members every plan entry or recording object has.
        Key::Static(match key {
            "hosts" => "hosts",
            "usage" => "usage",
            "pending" => "pending",
            "type" => "type",
            "name" => "name",
            "active_hosts" => "active_hosts",
            "plan_storage" => "plan_storage",
            "free_storage" => "free_storage",
            "plan_storage_usage" => "plan_storage_usage",
            "free_storage_usage" => "free_storage_usage",
            "plan_storage_exceed" => "plan_storage_exceed",
            "max_exceed_date" => "max_exceed_date",
            _ => return Key::Owned(key.to_owned()),
        })
    }

    fn into_string(self) -> String {
        match self {
            Key::Static(key) => key.to_owned(),
            Key::Owned(key) => key,
        }
    }
}

/// A serde-encoded value: what `serde_json::to_value` would build, with objects as member
/// lists in encoding order instead of hash maps.
#[derive(Debug)]
enum Node {
    Null,
    Bool(bool),
    I64(i64),
    U64(u64),
    F64(f64),
    Str(String),
    Seq(Vec<Node>),
    Map(Vec<(Key, Node)>),
}

impl Node {
    /// The `serde_json::Value` of this node, as `serde_json::to_value` makes it (a repeated
    /// object key keeps its first position and its last value).
    fn into_value(self) -> Value {
        match self {
            Node::Null => Value::Null,
            Node::Bool(value) => Value::Bool(value),
            Node::I64(value) => Value::from(value),
            Node::U64(value) => Value::from(value),
            Node::F64(value) => Value::from(value),
            Node::Str(value) => Value::String(value),
            Node::Seq(items) => Value::Array(items.into_iter().map(Node::into_value).collect()),
            Node::Map(members) => Value::Object(
                members
                    .into_iter()
                    .map(|(key, value)| (key.into_string(), value.into_value()))
                    .collect(),
            ),
        }
    }

    /// A licence count as `Option<i64>` decodes it; `Err` for any other value.
    fn as_count(&self) -> Result<Option<i64>, ()> {
        match *self {
            Node::Null => Ok(None),
            Node::I64(value) => Ok(Some(value)),
            Node::U64(value) => i64::try_from(value).map(Some).map_err(|_| ()),
            _ => Err(()),
        }
    }

    /// Whether `Option<String>` decodes this value.
    fn is_text_or_null(&self) -> bool {
        matches!(self, Node::Null | Node::Str(_))
    }

    fn into_text(self) -> Option<String> {
        match self {
            Node::Str(text) => Some(text),
            _ => None,
        }
    }
}

/// Why the report could not be encoded (a map key that is not text, a 128-bit integer out of
/// range: neither occurs in the generated types).
#[derive(Debug)]
struct EncodeError(String);

impl fmt::Display for EncodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for EncodeError {}

impl ser::Error for EncodeError {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        EncodeError(msg.to_string())
    }
}

/// Encodes a value as a [`Node`], with `serde_json::to_value`'s conventions (non-finite
/// floats are `null`, bytes a list of numbers, enum variants externally tagged).
struct NodeSerializer;

/// A list being encoded.
struct SeqBuilder(Vec<Node>);

/// An object being encoded.
struct MapBuilder {
    members: Vec<(Key, Node)>,
    key: Option<Key>,
}

/// A tuple or struct variant being encoded: `{variant: contents}`.
struct VariantBuilder<T> {
    variant: &'static str,
    contents: T,
}

fn variant(name: &'static str, value: Node) -> Node {
    Node::Map(vec![(Key::Static(name), value)])
}

impl ser::Serializer for NodeSerializer {
    type Ok = Node;
    type Error = EncodeError;
    type SerializeSeq = SeqBuilder;
    type SerializeTuple = SeqBuilder;
    type SerializeTupleStruct = SeqBuilder;
    type SerializeTupleVariant = VariantBuilder<SeqBuilder>;
    type SerializeMap = MapBuilder;
    type SerializeStruct = MapBuilder;
    type SerializeStructVariant = VariantBuilder<MapBuilder>;

    fn serialize_bool(self, v: bool) -> Result<Node, EncodeError> {
        Ok(Node::Bool(v))
    }
    fn serialize_i8(self, v: i8) -> Result<Node, EncodeError> {
        Ok(Node::I64(v.into()))
    }
    fn serialize_i16(self, v: i16) -> Result<Node, EncodeError> {
        Ok(Node::I64(v.into()))
    }
    fn serialize_i32(self, v: i32) -> Result<Node, EncodeError> {
        Ok(Node::I64(v.into()))
    }
    fn serialize_i64(self, v: i64) -> Result<Node, EncodeError> {
        Ok(Node::I64(v))
    }
    fn serialize_i128(self, v: i128) -> Result<Node, EncodeError> {
        if let Ok(v) = u64::try_from(v) {
            Ok(Node::U64(v))
        } else if let Ok(v) = i64::try_from(v) {
            Ok(Node::I64(v))
        } else {
            Err(EncodeError("number out of range".to_owned()))
        }
    }
    fn serialize_u8(self, v: u8) -> Result<Node, EncodeError> {
        Ok(Node::U64(v.into()))
    }
    fn serialize_u16(self, v: u16) -> Result<Node, EncodeError> {
        Ok(Node::U64(v.into()))
    }
    fn serialize_u32(self, v: u32) -> Result<Node, EncodeError> {
        Ok(Node::U64(v.into()))
    }
    fn serialize_u64(self, v: u64) -> Result<Node, EncodeError> {
        Ok(Node::U64(v))
    }
    fn serialize_u128(self, v: u128) -> Result<Node, EncodeError> {
        u64::try_from(v)
            .map(Node::U64)
            .map_err(|_| EncodeError("number out of range".to_owned()))
    }
    fn serialize_f32(self, v: f32) -> Result<Node, EncodeError> {
        self.serialize_f64(v.into())
    }
    fn serialize_f64(self, v: f64) -> Result<Node, EncodeError> {
        Ok(if v.is_finite() {
            Node::F64(v)
        } else {
            Node::Null
        })
    }
    fn serialize_char(self, v: char) -> Result<Node, EncodeError> {
        Ok(Node::Str(v.to_string()))
    }
    fn serialize_str(self, v: &str) -> Result<Node, EncodeError> {
        Ok(Node::Str(v.to_owned()))
    }
    fn serialize_bytes(self, v: &[u8]) -> Result<Node, EncodeError> {
        Ok(Node::Seq(
            v.iter().map(|byte| Node::U64((*byte).into())).collect(),
        ))
    }
    fn serialize_none(self) -> Result<Node, EncodeError> {
        Ok(Node::Null)
    }
    fn serialize_some<T: ?Sized + Serialize>(self, value: &T) -> Result<Node, EncodeError> {
        value.serialize(self)
    }
    fn serialize_unit(self) -> Result<Node, EncodeError> {
        Ok(Node::Null)
    }
    fn serialize_unit_struct(self, _name: &'static str) -> Result<Node, EncodeError> {
        Ok(Node::Null)
    }
    fn serialize_unit_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
    ) -> Result<Node, EncodeError> {
        Ok(Node::Str(variant.to_owned()))
    }
    fn serialize_newtype_struct<T: ?Sized + Serialize>(
        self,
        _name: &'static str,
        value: &T,
    ) -> Result<Node, EncodeError> {
        value.serialize(self)
    }
    fn serialize_newtype_variant<T: ?Sized + Serialize>(
        self,
        _name: &'static str,
        _index: u32,
        name: &'static str,
        value: &T,
    ) -> Result<Node, EncodeError> {
        Ok(variant(name, value.serialize(self)?))
    }
    fn serialize_seq(self, len: Option<usize>) -> Result<SeqBuilder, EncodeError> {
        Ok(SeqBuilder(Vec::with_capacity(len.unwrap_or(0))))
    }
    fn serialize_tuple(self, len: usize) -> Result<SeqBuilder, EncodeError> {
        self.serialize_seq(Some(len))
    }
    fn serialize_tuple_struct(
        self,
        _name: &'static str,
        len: usize,
    ) -> Result<SeqBuilder, EncodeError> {
        self.serialize_seq(Some(len))
    }
    fn serialize_tuple_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        len: usize,
    ) -> Result<VariantBuilder<SeqBuilder>, EncodeError> {
        Ok(VariantBuilder {
            variant,
            contents: self.serialize_seq(Some(len))?,
        })
    }
    fn serialize_map(self, len: Option<usize>) -> Result<MapBuilder, EncodeError> {
        // The generated types flatten their catch-all map, so their length is unknown; a plan
        // entry has four or five members.
        Ok(MapBuilder {
            members: Vec::with_capacity(len.unwrap_or(6)),
            key: None,
        })
    }
    fn serialize_struct(self, _name: &'static str, len: usize) -> Result<MapBuilder, EncodeError> {
        self.serialize_map(Some(len))
    }
    fn serialize_struct_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        len: usize,
    ) -> Result<VariantBuilder<MapBuilder>, EncodeError> {
        Ok(VariantBuilder {
            variant,
            contents: self.serialize_map(Some(len))?,
        })
    }
}

impl ser::SerializeSeq for SeqBuilder {
    type Ok = Node;
    type Error = EncodeError;
    fn serialize_element<T: ?Sized + Serialize>(&mut self, value: &T) -> Result<(), EncodeError> {
        self.0.push(value.serialize(NodeSerializer)?);
        Ok(())
    }
    fn end(self) -> Result<Node, EncodeError> {
        Ok(Node::Seq(self.0))
    }
}

impl ser::SerializeTuple for SeqBuilder {
    type Ok = Node;
    type Error = EncodeError;
    fn serialize_element<T: ?Sized + Serialize>(&mut self, value: &T) -> Result<(), EncodeError> {
        ser::SerializeSeq::serialize_element(self, value)
    }
    fn end(self) -> Result<Node, EncodeError> {
        ser::SerializeSeq::end(self)
    }
}

impl ser::SerializeTupleStruct for SeqBuilder {
    type Ok = Node;
    type Error = EncodeError;
    fn serialize_field<T: ?Sized + Serialize>(&mut self, value: &T) -> Result<(), EncodeError> {
        ser::SerializeSeq::serialize_element(self, value)
    }
    fn end(self) -> Result<Node, EncodeError> {
        ser::SerializeSeq::end(self)
    }
}

impl ser::SerializeTupleVariant for VariantBuilder<SeqBuilder> {
    type Ok = Node;
    type Error = EncodeError;
    fn serialize_field<T: ?Sized + Serialize>(&mut self, value: &T) -> Result<(), EncodeError> {
        ser::SerializeSeq::serialize_element(&mut self.contents, value)
    }
    fn end(self) -> Result<Node, EncodeError> {
        Ok(variant(self.variant, Node::Seq(self.contents.0)))
    }
}

impl ser::SerializeMap for MapBuilder {
    type Ok = Node;
    type Error = EncodeError;
    fn serialize_key<T: ?Sized + Serialize>(&mut self, key: &T) -> Result<(), EncodeError> {
        self.key = Some(key.serialize(KeySerializer)?);
        Ok(())
    }
    fn serialize_value<T: ?Sized + Serialize>(&mut self, value: &T) -> Result<(), EncodeError> {
        let key = self
            .key
            .take()
            .ok_or_else(|| EncodeError("a map value without a key".to_owned()))?;
        self.members.push((key, value.serialize(NodeSerializer)?));
        Ok(())
    }
    fn end(self) -> Result<Node, EncodeError> {
        Ok(Node::Map(self.members))
    }
}

impl ser::SerializeStruct for MapBuilder {
    type Ok = Node;
    type Error = EncodeError;
    fn serialize_field<T: ?Sized + Serialize>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<(), EncodeError> {
        self.members
            .push((Key::Static(key), value.serialize(NodeSerializer)?));
        Ok(())
    }
    fn end(self) -> Result<Node, EncodeError> {
        Ok(Node::Map(self.members))
    }
}

impl ser::SerializeStructVariant for VariantBuilder<MapBuilder> {
    type Ok = Node;
    type Error = EncodeError;
    fn serialize_field<T: ?Sized + Serialize>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<(), EncodeError> {
        ser::SerializeStruct::serialize_field(&mut self.contents, key, value)
    }
    fn end(self) -> Result<Node, EncodeError> {
        Ok(variant(self.variant, Node::Map(self.contents.members)))
    }
}

/// Encodes an object key: text, or a number or flag written as text (as `serde_json` does).
struct KeySerializer;

fn key_error() -> EncodeError {
    EncodeError("key must be a string".to_owned())
}

impl ser::Serializer for KeySerializer {
    type Ok = Key;
    type Error = EncodeError;
    type SerializeSeq = ser::Impossible<Key, EncodeError>;
    type SerializeTuple = ser::Impossible<Key, EncodeError>;
    type SerializeTupleStruct = ser::Impossible<Key, EncodeError>;
    type SerializeTupleVariant = ser::Impossible<Key, EncodeError>;
    type SerializeMap = ser::Impossible<Key, EncodeError>;
    type SerializeStruct = ser::Impossible<Key, EncodeError>;
    type SerializeStructVariant = ser::Impossible<Key, EncodeError>;

    fn serialize_str(self, v: &str) -> Result<Key, EncodeError> {
        Ok(Key::intern(v))
    }
    fn serialize_char(self, v: char) -> Result<Key, EncodeError> {
        Ok(Key::Owned(v.to_string()))
    }
    fn serialize_bool(self, v: bool) -> Result<Key, EncodeError> {
        Ok(Key::Static(if v { "true" } else { "false" }))
    }
    fn serialize_i8(self, v: i8) -> Result<Key, EncodeError> {
        Ok(Key::Owned(v.to_string()))
    }
    fn serialize_i16(self, v: i16) -> Result<Key, EncodeError> {
        Ok(Key::Owned(v.to_string()))
    }
    fn serialize_i32(self, v: i32) -> Result<Key, EncodeError> {
        Ok(Key::Owned(v.to_string()))
    }
    fn serialize_i64(self, v: i64) -> Result<Key, EncodeError> {
        Ok(Key::Owned(v.to_string()))
    }
    fn serialize_i128(self, v: i128) -> Result<Key, EncodeError> {
        Ok(Key::Owned(v.to_string()))
    }
    fn serialize_u8(self, v: u8) -> Result<Key, EncodeError> {
        Ok(Key::Owned(v.to_string()))
    }
    fn serialize_u16(self, v: u16) -> Result<Key, EncodeError> {
        Ok(Key::Owned(v.to_string()))
    }
    fn serialize_u32(self, v: u32) -> Result<Key, EncodeError> {
        Ok(Key::Owned(v.to_string()))
    }
    fn serialize_u64(self, v: u64) -> Result<Key, EncodeError> {
        Ok(Key::Owned(v.to_string()))
    }
    fn serialize_u128(self, v: u128) -> Result<Key, EncodeError> {
        Ok(Key::Owned(v.to_string()))
    }
    fn serialize_f32(self, _v: f32) -> Result<Key, EncodeError> {
        Err(key_error())
    }
    fn serialize_f64(self, _v: f64) -> Result<Key, EncodeError> {
        Err(key_error())
    }
    fn serialize_bytes(self, _v: &[u8]) -> Result<Key, EncodeError> {
        Err(key_error())
    }
    fn serialize_none(self) -> Result<Key, EncodeError> {
        Err(key_error())
    }
    fn serialize_some<T: ?Sized + Serialize>(self, _value: &T) -> Result<Key, EncodeError> {
        Err(key_error())
    }
    fn serialize_unit(self) -> Result<Key, EncodeError> {
        Err(key_error())
    }
    fn serialize_unit_struct(self, _name: &'static str) -> Result<Key, EncodeError> {
        Err(key_error())
    }
    fn serialize_unit_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
    ) -> Result<Key, EncodeError> {
        Ok(Key::Static(variant))
    }
    fn serialize_newtype_struct<T: ?Sized + Serialize>(
        self,
        _name: &'static str,
        value: &T,
    ) -> Result<Key, EncodeError> {
        value.serialize(self)
    }
    fn serialize_newtype_variant<T: ?Sized + Serialize>(
        self,
        _name: &'static str,
        _index: u32,
        _variant: &'static str,
        _value: &T,
    ) -> Result<Key, EncodeError> {
        Err(key_error())
    }
    fn serialize_seq(self, _len: Option<usize>) -> Result<Self::SerializeSeq, EncodeError> {
        Err(key_error())
    }
    fn serialize_tuple(self, _len: usize) -> Result<Self::SerializeTuple, EncodeError> {
        Err(key_error())
    }
    fn serialize_tuple_struct(
        self,
        _name: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeTupleStruct, EncodeError> {
        Err(key_error())
    }
    fn serialize_tuple_variant(
        self,
        _name: &'static str,
        _index: u32,
        _variant: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeTupleVariant, EncodeError> {
        Err(key_error())
    }
    fn serialize_map(self, _len: Option<usize>) -> Result<Self::SerializeMap, EncodeError> {
        Err(key_error())
    }
    fn serialize_struct(
        self,
        _name: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeStruct, EncodeError> {
        Err(key_error())
    }
    fn serialize_struct_variant(
        self,
        _name: &'static str,
        _index: u32,
        _variant: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeStructVariant, EncodeError> {
        Err(key_error())
    }
}

// ---------------------------------------------------------------------------------------------
// The streaming walk: the common shapes read straight from the encoding.
//
// Most members are a plan entry (an object of seat fields), a list of them, or the recording
// object, with every field of the expected type. The serializers below read those while the
// report encodes itself, member by member, without building a tree: a key is looked at in
// place, a count is read as a number and only the texts the model keeps are copied. At the
// first thing they do not expect (an unknown field, a field of another type, a group, a
// value of another shape) they stop with [`Bail`], and that member alone is read again
// through the tree (`Mapper::top_level`), which handles everything. The result is the same
// either way (the tests compare both against a `serde_json::Value` reference).

/// The fast reading stopped: the value is read again through the tree.
#[derive(Debug)]
struct Bail;

impl fmt::Display for Bail {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a value of an unexpected shape")
    }
}

impl std::error::Error for Bail {}

impl ser::Error for Bail {
    fn custom<T: fmt::Display>(_msg: T) -> Self {
        Bail
    }
}

/// `serde::Serializer` methods that stop the fast reading, by name.
macro_rules! bail {
    ($($method:ident),+ $(,)?) => {
        $(bail!(@ $method);)+
    };
    (@ bool) => { fn serialize_bool(self, _: bool) -> Result<Self::Ok, Bail> { Err(Bail) } };
    (@ i8) => { fn serialize_i8(self, _: i8) -> Result<Self::Ok, Bail> { Err(Bail) } };
    (@ i16) => { fn serialize_i16(self, _: i16) -> Result<Self::Ok, Bail> { Err(Bail) } };
    (@ i32) => { fn serialize_i32(self, _: i32) -> Result<Self::Ok, Bail> { Err(Bail) } };
    (@ i64) => { fn serialize_i64(self, _: i64) -> Result<Self::Ok, Bail> { Err(Bail) } };
    (@ i128) => { fn serialize_i128(self, _: i128) -> Result<Self::Ok, Bail> { Err(Bail) } };
    (@ u8) => { fn serialize_u8(self, _: u8) -> Result<Self::Ok, Bail> { Err(Bail) } };
    (@ u16) => { fn serialize_u16(self, _: u16) -> Result<Self::Ok, Bail> { Err(Bail) } };
    (@ u32) => { fn serialize_u32(self, _: u32) -> Result<Self::Ok, Bail> { Err(Bail) } };
    (@ u64) => { fn serialize_u64(self, _: u64) -> Result<Self::Ok, Bail> { Err(Bail) } };
    (@ u128) => { fn serialize_u128(self, _: u128) -> Result<Self::Ok, Bail> { Err(Bail) } };
    (@ f32) => { fn serialize_f32(self, _: f32) -> Result<Self::Ok, Bail> { Err(Bail) } };
    (@ f64) => { fn serialize_f64(self, _: f64) -> Result<Self::Ok, Bail> { Err(Bail) } };
    (@ char) => { fn serialize_char(self, _: char) -> Result<Self::Ok, Bail> { Err(Bail) } };
    (@ str) => { fn serialize_str(self, _: &str) -> Result<Self::Ok, Bail> { Err(Bail) } };
    (@ bytes) => { fn serialize_bytes(self, _: &[u8]) -> Result<Self::Ok, Bail> { Err(Bail) } };
    (@ none) => { fn serialize_none(self) -> Result<Self::Ok, Bail> { Err(Bail) } };
    (@ some) => {
        fn serialize_some<T: ?Sized + Serialize>(self, _: &T) -> Result<Self::Ok, Bail> {
            Err(Bail)
        }
    };
    (@ unit) => { fn serialize_unit(self) -> Result<Self::Ok, Bail> { Err(Bail) } };
    (@ unit_struct) => {
        fn serialize_unit_struct(self, _: &'static str) -> Result<Self::Ok, Bail> {
            Err(Bail)
        }
    };
    (@ unit_variant) => {
        fn serialize_unit_variant(
            self,
            _: &'static str,
            _: u32,
            _: &'static str,
        ) -> Result<Self::Ok, Bail> {
            Err(Bail)
        }
    };
    (@ newtype_struct) => {
        fn serialize_newtype_struct<T: ?Sized + Serialize>(
            self,
            _: &'static str,
            _: &T,
        ) -> Result<Self::Ok, Bail> {
            Err(Bail)
        }
    };
    (@ newtype_variant) => {
        fn serialize_newtype_variant<T: ?Sized + Serialize>(
            self,
            _: &'static str,
            _: u32,
            _: &'static str,
            _: &T,
        ) -> Result<Self::Ok, Bail> {
            Err(Bail)
        }
    };
    (@ seq) => {
        fn serialize_seq(self, _: Option<usize>) -> Result<Self::SerializeSeq, Bail> {
            Err(Bail)
        }
    };
    (@ tuple) => {
        fn serialize_tuple(self, _: usize) -> Result<Self::SerializeTuple, Bail> {
            Err(Bail)
        }
    };
    (@ tuple_struct) => {
        fn serialize_tuple_struct(
            self,
            _: &'static str,
            _: usize,
        ) -> Result<Self::SerializeTupleStruct, Bail> {
            Err(Bail)
        }
    };
    (@ tuple_variant) => {
        fn serialize_tuple_variant(
            self,
            _: &'static str,
            _: u32,
            _: &'static str,
            _: usize,
        ) -> Result<Self::SerializeTupleVariant, Bail> {
            Err(Bail)
        }
    };
    (@ map) => {
        fn serialize_map(self, _: Option<usize>) -> Result<Self::SerializeMap, Bail> {
            Err(Bail)
        }
    };
    (@ struct) => {
        fn serialize_struct(self, _: &'static str, _: usize) -> Result<Self::SerializeStruct, Bail> {
            Err(Bail)
        }
    };
    (@ struct_variant) => {
        fn serialize_struct_variant(
            self,
            _: &'static str,
            _: u32,
            _: &'static str,
            _: usize,
        ) -> Result<Self::SerializeStructVariant, Bail> {
            Err(Bail)
        }
    };
}

/// A scalar as the tree would hold it, as far as the seat and storage fields care.
enum Leaf {
    Null,
    /// An integer `Option<i64>` decodes.
    Int(i64),
    Text(String),
}

impl Leaf {
    /// A licence count (`Node::as_count`).
    fn count(self) -> Result<Option<i64>, Bail> {
        match self {
            Leaf::Null => Ok(None),
            Leaf::Int(value) => Ok(Some(value)),
            Leaf::Text(_) => Err(Bail),
        }
    }

    /// A text or `null` (`Node::into_text` of a value `Node::is_text_or_null` accepts).
    fn text(self) -> Result<Option<String>, Bail> {
        match self {
            Leaf::Null => Ok(None),
            Leaf::Text(text) => Ok(Some(text)),
            Leaf::Int(_) => Err(Bail),
        }
    }
}

/// Reads a [`Leaf`]: `null`, an integer within `i64`, or text; anything else bails.
struct LeafSerializer;

impl ser::Serializer for LeafSerializer {
    type Ok = Leaf;
    type Error = Bail;
    type SerializeSeq = ser::Impossible<Leaf, Bail>;
    type SerializeTuple = ser::Impossible<Leaf, Bail>;
    type SerializeTupleStruct = ser::Impossible<Leaf, Bail>;
    type SerializeTupleVariant = ser::Impossible<Leaf, Bail>;
    type SerializeMap = ser::Impossible<Leaf, Bail>;
    type SerializeStruct = ser::Impossible<Leaf, Bail>;
    type SerializeStructVariant = ser::Impossible<Leaf, Bail>;

    bail!(
        bool,
        f32,
        f64,
        bytes,
        newtype_variant,
        seq,
        tuple,
        tuple_struct,
        tuple_variant,
        map,
        struct,
        struct_variant,
    );

    fn serialize_i8(self, v: i8) -> Result<Leaf, Bail> {
        Ok(Leaf::Int(v.into()))
    }
    fn serialize_i16(self, v: i16) -> Result<Leaf, Bail> {
        Ok(Leaf::Int(v.into()))
    }
    fn serialize_i32(self, v: i32) -> Result<Leaf, Bail> {
        Ok(Leaf::Int(v.into()))
    }
    fn serialize_i64(self, v: i64) -> Result<Leaf, Bail> {
        Ok(Leaf::Int(v))
    }
    fn serialize_i128(self, v: i128) -> Result<Leaf, Bail> {
        i64::try_from(v).map(Leaf::Int).map_err(|_| Bail)
    }
    fn serialize_u8(self, v: u8) -> Result<Leaf, Bail> {
        Ok(Leaf::Int(v.into()))
    }
    fn serialize_u16(self, v: u16) -> Result<Leaf, Bail> {
        Ok(Leaf::Int(v.into()))
    }
    fn serialize_u32(self, v: u32) -> Result<Leaf, Bail> {
        Ok(Leaf::Int(v.into()))
    }
    fn serialize_u64(self, v: u64) -> Result<Leaf, Bail> {
        i64::try_from(v).map(Leaf::Int).map_err(|_| Bail)
    }
    fn serialize_u128(self, v: u128) -> Result<Leaf, Bail> {
        i64::try_from(v).map(Leaf::Int).map_err(|_| Bail)
    }
    fn serialize_char(self, v: char) -> Result<Leaf, Bail> {
        Ok(Leaf::Text(v.to_string()))
    }
    fn serialize_str(self, v: &str) -> Result<Leaf, Bail> {
        Ok(Leaf::Text(v.to_owned()))
    }
    fn serialize_none(self) -> Result<Leaf, Bail> {
        Ok(Leaf::Null)
    }
    fn serialize_some<T: ?Sized + Serialize>(self, value: &T) -> Result<Leaf, Bail> {
        value.serialize(self)
    }
    fn serialize_unit(self) -> Result<Leaf, Bail> {
        Ok(Leaf::Null)
    }
    fn serialize_unit_struct(self, _name: &'static str) -> Result<Leaf, Bail> {
        Ok(Leaf::Null)
    }
    fn serialize_unit_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
    ) -> Result<Leaf, Bail> {
        Ok(Leaf::Text(variant.to_owned()))
    }
    fn serialize_newtype_struct<T: ?Sized + Serialize>(
        self,
        _name: &'static str,
        value: &T,
    ) -> Result<Leaf, Bail> {
        value.serialize(self)
    }
}

/// Hands an object key that is text to `F` without copying it; any other key bails.
struct KeyWith<F>(F);

impl<F: FnOnce(&str) -> R, R> ser::Serializer for KeyWith<F> {
    type Ok = R;
    type Error = Bail;
    type SerializeSeq = ser::Impossible<R, Bail>;
    type SerializeTuple = ser::Impossible<R, Bail>;
    type SerializeTupleStruct = ser::Impossible<R, Bail>;
    type SerializeTupleVariant = ser::Impossible<R, Bail>;
    type SerializeMap = ser::Impossible<R, Bail>;
    type SerializeStruct = ser::Impossible<R, Bail>;
    type SerializeStructVariant = ser::Impossible<R, Bail>;

    bail!(
        bool,
        i8,
        i16,
        i32,
        i64,
        i128,
        u8,
        u16,
        u32,
        u64,
        u128,
        f32,
        f64,
        char,
        bytes,
        none,
        some,
        unit,
        unit_struct,
        newtype_variant,
        seq,
        tuple,
        tuple_struct,
        tuple_variant,
        map,
        struct,
        struct_variant,
    );

    fn serialize_str(self, v: &str) -> Result<R, Bail> {
        Ok((self.0)(v))
    }
    fn serialize_unit_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
    ) -> Result<R, Bail> {
        Ok((self.0)(variant))
    }
    fn serialize_newtype_struct<T: ?Sized + Serialize>(
        self,
        _name: &'static str,
        value: &T,
    ) -> Result<R, Bail> {
        value.serialize(self)
    }
}

/// The fields of one kind of object the fast reading understands.
trait Fields: Default {
    /// A field this kind knows.
    type Field: Copy;
    /// What the whole object reads as.
    type Out;
    /// The field named `key`; `None` bails.
    fn field(key: &str) -> Option<Self::Field>;
    /// Reads the value of `field`.
    fn set<T: ?Sized + Serialize>(&mut self, field: Self::Field, value: &T) -> Result<(), Bail>;
    /// The object, once every member was read.
    fn finish(self) -> Result<Self::Out, Bail>;
}

/// An object (a struct, or a map such as a generated type with a flattened catch-all) read
/// field by field into `F`.
struct ObjectReader<F: Fields> {
    fields: F,
    key: Option<F::Field>,
}

impl<F: Fields> ObjectReader<F> {
    fn new() -> Self {
        ObjectReader {
            fields: F::default(),
            key: None,
        }
    }
}

impl<F: Fields> ser::SerializeMap for ObjectReader<F> {
    type Ok = F::Out;
    type Error = Bail;
    fn serialize_key<T: ?Sized + Serialize>(&mut self, key: &T) -> Result<(), Bail> {
        self.key = Some(key.serialize(KeyWith(F::field))?.ok_or(Bail)?);
        Ok(())
    }
    fn serialize_value<T: ?Sized + Serialize>(&mut self, value: &T) -> Result<(), Bail> {
        let field = self.key.take().ok_or(Bail)?;
        self.fields.set(field, value)
    }
    fn end(self) -> Result<F::Out, Bail> {
        self.fields.finish()
    }
}

impl<F: Fields> ser::SerializeStruct for ObjectReader<F> {
    type Ok = F::Out;
    type Error = Bail;
    fn serialize_field<T: ?Sized + Serialize>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<(), Bail> {
        let field = F::field(key).ok_or(Bail)?;
        self.fields.set(field, value)
    }
    fn end(self) -> Result<F::Out, Bail> {
        self.fields.finish()
    }
}

/// A member of a plan entry.
#[derive(Clone, Copy)]
enum EntryField {
    Hosts,
    Usage,
    Pending,
    Plan,
    Name,
    /// A documented member the model leaves out ([`IGNORED_ENTRY_FIELDS`]).
    Ignored,
}

/// A plan entry being read: [`Entry`] without `extra` (any other member bails).
#[derive(Default)]
struct EntryFields {
    hosts: Option<i64>,
    usage: Option<i64>,
    pending: Option<i64>,
    plan: Option<String>,
    name: Option<String>,
}

impl Fields for EntryFields {
    type Field = EntryField;
    type Out = Planned;

    fn field(key: &str) -> Option<EntryField> {
        Some(match key {
            "hosts" => EntryField::Hosts,
            "usage" => EntryField::Usage,
            "pending" => EntryField::Pending,
            "type" => EntryField::Plan,
            "name" => EntryField::Name,
            key if IGNORED_ENTRY_FIELDS.contains(&key) => EntryField::Ignored,
            _ => return None,
        })
    }

    fn set<T: ?Sized + Serialize>(&mut self, field: EntryField, value: &T) -> Result<(), Bail> {
        match field {
            EntryField::Hosts => self.hosts = value.serialize(LeafSerializer)?.count()?,
            EntryField::Usage => self.usage = value.serialize(LeafSerializer)?.count()?,
            EntryField::Pending => self.pending = value.serialize(LeafSerializer)?.count()?,
            EntryField::Plan => self.plan = value.serialize(LeafSerializer)?.text()?,
            EntryField::Name => self.name = value.serialize(LeafSerializer)?.text()?,
            // Any value is accepted and left out, as the tree does; it must still encode.
            EntryField::Ignored => {
                value.serialize(NodeSerializer).map_err(|_| Bail)?;
            }
        }
        Ok(())
    }

    fn finish(self) -> Result<Planned, Bail> {
        let entry = Entry {
            hosts: self.hosts,
            usage: self.usage,
            pending: self.pending,
            plan: self.plan,
            name: self.name,
            extra: Vec::new(),
        };
        // An entry without any seat field is reported by the tree.
        if entry.has_seat_field() {
            Ok(Planned::One(entry))
        } else {
            Err(Bail)
        }
    }
}

/// What the value of a `plan_*` key read as.
enum Planned {
    /// `null`.
    Nothing,
    /// One plan entry.
    One(Entry),
    /// A list of plan entries.
    Many(Vec<Entry>),
}

/// Reads the value of a `plan_*` key: `null`, a plan entry or a list of plan entries. With
/// `in_list`, only a plan entry (an entry of a list).
struct PlanValueSerializer {
    in_list: bool,
}

/// A list of plan entries being read.
struct EntryList(Vec<Entry>);

impl ser::SerializeSeq for EntryList {
    type Ok = Planned;
    type Error = Bail;
    fn serialize_element<T: ?Sized + Serialize>(&mut self, value: &T) -> Result<(), Bail> {
        match value.serialize(PlanValueSerializer { in_list: true })? {
            Planned::One(entry) => {
                self.0.push(entry);
                Ok(())
            }
            Planned::Nothing | Planned::Many(_) => Err(Bail),
        }
    }
    fn end(self) -> Result<Planned, Bail> {
        Ok(Planned::Many(self.0))
    }
}

impl ser::Serializer for PlanValueSerializer {
    type Ok = Planned;
    type Error = Bail;
    type SerializeSeq = EntryList;
    type SerializeTuple = ser::Impossible<Planned, Bail>;
    type SerializeTupleStruct = ser::Impossible<Planned, Bail>;
    type SerializeTupleVariant = ser::Impossible<Planned, Bail>;
    type SerializeMap = ObjectReader<EntryFields>;
    type SerializeStruct = ObjectReader<EntryFields>;
    type SerializeStructVariant = ser::Impossible<Planned, Bail>;

    bail!(
        bool,
        i8,
        i16,
        i32,
        i64,
        i128,
        u8,
        u16,
        u32,
        u64,
        u128,
        f32,
        f64,
        char,
        str,
        bytes,
        unit_variant,
        newtype_variant,
        tuple,
        tuple_struct,
        tuple_variant,
        struct_variant,
    );

    fn serialize_none(self) -> Result<Planned, Bail> {
        self.serialize_unit()
    }
    fn serialize_some<T: ?Sized + Serialize>(self, value: &T) -> Result<Planned, Bail> {
        value.serialize(self)
    }
    fn serialize_unit(self) -> Result<Planned, Bail> {
        // A `null` entry of a list is reported by the tree.
        if self.in_list {
            Err(Bail)
        } else {
            Ok(Planned::Nothing)
        }
    }
    fn serialize_unit_struct(self, _name: &'static str) -> Result<Planned, Bail> {
        self.serialize_unit()
    }
    fn serialize_newtype_struct<T: ?Sized + Serialize>(
        self,
        _name: &'static str,
        value: &T,
    ) -> Result<Planned, Bail> {
        value.serialize(self)
    }
    fn serialize_seq(self, len: Option<usize>) -> Result<EntryList, Bail> {
        if self.in_list {
            return Err(Bail);
        }
        Ok(EntryList(Vec::with_capacity(len.unwrap_or(1))))
    }
    fn serialize_map(self, _len: Option<usize>) -> Result<ObjectReader<EntryFields>, Bail> {
        Ok(ObjectReader::new())
    }
    fn serialize_struct(
        self,
        _name: &'static str,
        _len: usize,
    ) -> Result<ObjectReader<EntryFields>, Bail> {
        Ok(ObjectReader::new())
    }
}

/// A member of `plan_recording`.
#[derive(Clone, Copy)]
enum RecordingField {
    /// The index in [`STORAGE_FIELDS`].
    Size(usize),
    MaxExceedDate,
    Plan,
}

/// `plan_recording` being read: [`Recording`] without `extra` (any other member bails).
#[derive(Default)]
struct RecordingFields {
    sizes: [Option<String>; 5],
    max_exceed_date: Option<String>,
    plan: Option<String>,
}

impl Fields for RecordingFields {
    type Field = RecordingField;
    type Out = Recording;

    fn field(key: &str) -> Option<RecordingField> {
        match key {
            "max_exceed_date" => Some(RecordingField::MaxExceedDate),
            "type" => Some(RecordingField::Plan),
            key => Recording::size_index(key).map(RecordingField::Size),
        }
    }

    fn set<T: ?Sized + Serialize>(&mut self, field: RecordingField, value: &T) -> Result<(), Bail> {
        let text = value.serialize(LeafSerializer)?.text()?;
        match field {
            RecordingField::Size(index) => self.sizes[index] = text,
            RecordingField::MaxExceedDate => self.max_exceed_date = text,
            RecordingField::Plan => self.plan = text,
        }
        Ok(())
    }

    fn finish(self) -> Result<Recording, Bail> {
        Ok(Recording {
            sizes: self.sizes,
            max_exceed_date: self.max_exceed_date,
            plan: self.plan,
            extra: Vec::new(),
        })
    }
}

/// Reads `plan_recording` when it is an object of text fields.
struct RecordingSerializer;

impl ser::Serializer for RecordingSerializer {
    type Ok = Recording;
    type Error = Bail;
    type SerializeSeq = ser::Impossible<Recording, Bail>;
    type SerializeTuple = ser::Impossible<Recording, Bail>;
    type SerializeTupleStruct = ser::Impossible<Recording, Bail>;
    type SerializeTupleVariant = ser::Impossible<Recording, Bail>;
    type SerializeMap = ObjectReader<RecordingFields>;
    type SerializeStruct = ObjectReader<RecordingFields>;
    type SerializeStructVariant = ser::Impossible<Recording, Bail>;

    bail!(
        bool,
        i8,
        i16,
        i32,
        i64,
        i128,
        u8,
        u16,
        u32,
        u64,
        u128,
        f32,
        f64,
        char,
        str,
        bytes,
        none,
        unit,
        unit_struct,
        unit_variant,
        newtype_variant,
        seq,
        tuple,
        tuple_struct,
        tuple_variant,
        struct_variant,
    );

    fn serialize_some<T: ?Sized + Serialize>(self, value: &T) -> Result<Recording, Bail> {
        value.serialize(self)
    }
    fn serialize_newtype_struct<T: ?Sized + Serialize>(
        self,
        _name: &'static str,
        value: &T,
    ) -> Result<Recording, Bail> {
        value.serialize(self)
    }
    fn serialize_map(self, _len: Option<usize>) -> Result<ObjectReader<RecordingFields>, Bail> {
        Ok(ObjectReader::new())
    }
    fn serialize_struct(
        self,
        _name: &'static str,
        _len: usize,
    ) -> Result<ObjectReader<RecordingFields>, Bail> {
        Ok(ObjectReader::new())
    }
}

/// Maps the report member by member as it encodes itself. Bails (and the caller reads the
/// whole report through the tree) only when the report is not an object or a member cannot
/// be encoded at all.
struct ReportSerializer<'a>(&'a mut Mapper);

/// The report's members being mapped; `key` holds a key whose value has not come yet.
struct ReportMembers<'a> {
    mapper: &'a mut Mapper,
    key: Option<Key>,
}

impl ser::SerializeMap for ReportMembers<'_> {
    type Ok = ();
    type Error = Bail;
    fn serialize_key<T: ?Sized + Serialize>(&mut self, key: &T) -> Result<(), Bail> {
        self.key = Some(key.serialize(KeySerializer).map_err(|_| Bail)?);
        Ok(())
    }
    fn serialize_value<T: ?Sized + Serialize>(&mut self, value: &T) -> Result<(), Bail> {
        let key = self.key.take().ok_or(Bail)?;
        self.mapper.member(key.as_str(), value)
    }
    fn serialize_entry<K: ?Sized + Serialize, V: ?Sized + Serialize>(
        &mut self,
        key: &K,
        value: &V,
    ) -> Result<(), Bail> {
        let mapper = &mut *self.mapper;
        match key.serialize(KeyWith(|key: &str| mapper.member(key, value))) {
            Ok(mapped) => mapped,
            // A key that is not text (a number, a flag): spelled out as the tree does.
            Err(Bail) => {
                self.serialize_key(key)?;
                self.serialize_value(value)
            }
        }
    }
    fn end(self) -> Result<(), Bail> {
        Ok(())
    }
}

impl ser::SerializeStruct for ReportMembers<'_> {
    type Ok = ();
    type Error = Bail;
    fn serialize_field<T: ?Sized + Serialize>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<(), Bail> {
        self.mapper.member(key, value)
    }
    fn end(self) -> Result<(), Bail> {
        Ok(())
    }
}

impl<'a> ser::Serializer for ReportSerializer<'a> {
    type Ok = ();
    type Error = Bail;
    type SerializeSeq = ser::Impossible<(), Bail>;
    type SerializeTuple = ser::Impossible<(), Bail>;
    type SerializeTupleStruct = ser::Impossible<(), Bail>;
    type SerializeTupleVariant = ser::Impossible<(), Bail>;
    type SerializeMap = ReportMembers<'a>;
    type SerializeStruct = ReportMembers<'a>;
    type SerializeStructVariant = ser::Impossible<(), Bail>;

    bail!(
        bool,
        i8,
        i16,
        i32,
        i64,
        i128,
        u8,
        u16,
        u32,
        u64,
        u128,
        f32,
        f64,
        char,
        str,
        bytes,
        none,
        some,
        unit,
        unit_struct,
        unit_variant,
        newtype_struct,
        newtype_variant,
        seq,
        tuple,
        tuple_struct,
        tuple_variant,
        struct_variant,
    );

    fn serialize_map(self, _len: Option<usize>) -> Result<ReportMembers<'a>, Bail> {
        Ok(ReportMembers {
            mapper: self.0,
            key: None,
        })
    }
    fn serialize_struct(self, _name: &'static str, _len: usize) -> Result<ReportMembers<'a>, Bail> {
        self.serialize_map(None)
    }
}

impl Mapper {
    /// One member of the report, read fast when it has a common shape and through the tree
    /// otherwise. Fails only when the member cannot be encoded.
    fn member<T: ?Sized + Serialize>(&mut self, key: &str, value: &T) -> Result<(), Bail> {
        let path = Path::Root.key(key);
        if key == RECORDING_KEY {
            if let Ok(recording) = value.serialize(RecordingSerializer) {
                self.storage(key, recording, &path);
                return Ok(());
            }
        } else if key.starts_with("plan_") {
            match value.serialize(PlanValueSerializer { in_list: false }) {
                Ok(Planned::Nothing) => return Ok(()),
                Ok(Planned::One(entry)) => {
                    self.entry(key, entry, &path);
                    return Ok(());
                }
                Ok(Planned::Many(entries)) => {
                    for (index, entry) in entries.into_iter().enumerate() {
                        self.entry(key, entry, &Path::Index(&path, index));
                    }
                    return Ok(());
                }
                Err(Bail) => {}
            }
        }
        let value = value.serialize(NodeSerializer).map_err(|_| Bail)?;
        self.top_level(key, value);
        Ok(())
    }
}

// ---------------------------------------------------------------------------------------------
// The mapping.

/// Where a value sits in the response, rendered as a JSON pointer only when something is
/// reported there.
enum Path<'a> {
    Root,
    Key(&'a Path<'a>, &'a str),
    Index(&'a Path<'a>, usize),
}

impl Path<'_> {
    fn key<'a>(&'a self, key: &'a str) -> Path<'a> {
        Path::Key(self, key)
    }

    fn render(&self) -> String {
        match self {
            Path::Root => String::new(),
            Path::Key(parent, key) => pointer_join(&parent.render(), key),
            Path::Index(parent, index) => pointer_join(&parent.render(), &index.to_string()),
        }
    }
}

/// One plan entry's fields, as [`UnitedPlanUsage`] decodes them.
struct Entry {
    hosts: Option<i64>,
    usage: Option<i64>,
    pending: Option<i64>,
    plan: Option<String>,
    name: Option<String>,
    /// The other members, in order.
    extra: Vec<(String, Value)>,
}

impl Entry {
    /// Reads one plan entry. `members` is left untouched unless an entry is returned.
    fn read(members: &mut Vec<(Key, Node)>) -> Read {
        let mut has_seat_field = false;
        for (key, value) in members.iter() {
            let fits = match key.as_str() {
                "hosts" | "usage" | "pending" => value.as_count().map(|count| count.is_some()),
                "type" | "name" => match value {
                    Node::Null => Ok(false),
                    Node::Str(_) => Ok(true),
                    _ => Err(()),
                },
                _ => Ok(false),
            };
            match fits {
                Ok(seat_field) => has_seat_field |= seat_field,
                Err(()) => return Read::Odd,
            }
        }
        if !has_seat_field {
            return Read::NoSeatField;
        }
        let mut entry = Entry {
            hosts: None,
            usage: None,
            pending: None,
            plan: None,
            name: None,
            extra: Vec::new(),
        };
        for (key, value) in members.drain(..) {
            match key.as_str() {
                "hosts" => entry.hosts = value.as_count().ok().flatten(),
                "usage" => entry.usage = value.as_count().ok().flatten(),
                "pending" => entry.pending = value.as_count().ok().flatten(),
                "type" => entry.plan = value.into_text(),
                "name" => entry.name = value.into_text(),
                _ => entry.extra.push((key.into_string(), value.into_value())),
            }
        }
        Read::Entry(entry)
    }

    fn from_decoded(entry: UnitedPlanUsage) -> Entry {
        Entry {
            hosts: entry.hosts,
            usage: entry.usage,
            pending: entry.pending,
            plan: entry.type_,
            name: entry.name,
            extra: entry.extra.into_iter().collect(),
        }
    }

    fn has_seat_field(&self) -> bool {
        self.hosts.is_some()
            || self.usage.is_some()
            || self.pending.is_some()
            || self.plan.is_some()
            || self.name.is_some()
    }
}

/// What [`Entry::read`] found.
enum Read {
    /// An entry with at least one seat field.
    Entry(Entry),
    /// Seat fields of the right types, but none with a value.
    NoSeatField,
    /// A seat field of a type [`UnitedPlanUsage`] does not decode.
    Odd,
}

/// `plan_recording`'s fields, as [`RecordingUsage`] decodes them.
struct Recording {
    /// The texts of [`STORAGE_FIELDS`], in that order.
    sizes: [Option<String>; 5],
    max_exceed_date: Option<String>,
    plan: Option<String>,
    /// The other members, in order.
    extra: Vec<(String, Value)>,
}

impl Recording {
    fn size_index(key: &str) -> Option<usize> {
        STORAGE_FIELDS.iter().position(|(field, _)| *field == key)
    }

    /// The recording figures, when `value` is an object whose known fields are all text or
    /// `null` (`None` otherwise, and `value` untouched).
    fn read(value: &mut Node) -> Option<Recording> {
        let Node::Map(members) = value else {
            return None;
        };
        let fits = members.iter().all(|(key, value)| {
            let known = matches!(key.as_str(), "max_exceed_date" | "type")
                || Self::size_index(key.as_str()).is_some();
            !known || value.is_text_or_null()
        });
        if !fits {
            return None;
        }
        let mut recording = Recording {
            sizes: Default::default(),
            max_exceed_date: None,
            plan: None,
            extra: Vec::new(),
        };
        for (key, value) in members.drain(..) {
            match key.as_str() {
                "max_exceed_date" => recording.max_exceed_date = value.into_text(),
                "type" => recording.plan = value.into_text(),
                other => match Self::size_index(other) {
                    Some(index) => recording.sizes[index] = value.into_text(),
                    None => recording
                        .extra
                        .push((key.into_string(), value.into_value())),
                },
            }
        }
        Some(recording)
    }

    fn from_decoded(recording: RecordingUsage) -> Recording {
        Recording {
            sizes: [
                recording.plan_storage,
                recording.free_storage,
                recording.plan_storage_usage,
                recording.free_storage_usage,
                recording.plan_storage_exceed,
            ],
            max_exceed_date: recording.max_exceed_date,
            plan: recording.type_,
            extra: recording.extra.into_iter().collect(),
        }
    }
}

/// Builds one report, collecting what it cannot place.
struct Mapper {
    report: UsageReport,
}

impl Mapper {
    fn unrecognized(&mut self, path: &Path<'_>, value: Value, reason: impl Into<String>) {
        self.report
            .unrecognized
            .push(Unrecognized::new(path.render(), OPERATION, value, reason));
    }

    /// One member of the report.
    fn top_level(&mut self, key: &str, value: Node) {
        let path = Path::Root.key(key);
        if !key.starts_with("plan_") {
            self.unrecognized(&path, value.into_value(), "not a plan key");
        } else if key == RECORDING_KEY {
            self.recording(key, value, &path);
        } else {
            self.plan_value(key, value, &path, 0);
        }
    }

    /// The value of a `plan_*` key: an entry, a list of entries, or a group.
    fn plan_value(&mut self, product: &str, value: Node, path: &Path<'_>, depth: usize) {
        if depth > MAX_DEPTH {
            self.unrecognized(
                path,
                value.into_value(),
                format!("plan groups nested deeper than {MAX_DEPTH} levels"),
            );
            return;
        }
        match value {
            Node::Null => {}
            Node::Seq(entries) => {
                for (index, entry) in entries.into_iter().enumerate() {
                    let entry_path = Path::Index(path, index);
                    if let Node::Map(members) = entry {
                        self.object(product, members, &entry_path, depth + 1);
                    } else {
                        self.unrecognized(
                            &entry_path,
                            entry.into_value(),
                            "a plan list entry that is not an object",
                        );
                    }
                }
            }
            Node::Map(members) => self.object(product, members, path, depth),
            other => self.unrecognized(
                path,
                other.into_value(),
                "a plan value that is neither an object nor a list of objects",
            ),
        }
    }

    /// An object under a `plan_*` key: a group of plans, or one plan's seats.
    fn object(&mut self, product: &str, members: Vec<(Key, Node)>, path: &Path<'_>, depth: usize) {
        if !members
            .iter()
            .any(|(key, _)| key.as_str().starts_with("plan_"))
        {
            self.seats(product, members, path);
            return;
        }
        for (key, member) in members {
            let key = key.as_str();
            let member_path = path.key(key);
            if !key.starts_with("plan_") {
                self.unrecognized(
                    &member_path,
                    member.into_value(),
                    "not a plan key inside a plan group",
                );
                continue;
            }
            let member_product = format!("{product}.{key}");
            if key == RECORDING_KEY {
                self.recording(&member_product, member, &member_path);
            } else {
                self.plan_value(&member_product, member, &member_path, depth + 1);
            }
        }
    }

    /// A licence count: Zoom's integers, refused when negative.
    fn count(&mut self, value: Option<i64>, path: &Path<'_>, key: &str) -> Option<u64> {
        let value = value?;
        match u64::try_from(value) {
            Ok(count) => Some(count),
            Err(_) => {
                self.unrecognized(
                    &path.key(key),
                    Value::from(value),
                    "a negative licence count",
                );
                None
            }
        }
    }

    /// One plan's seats.
    fn seats(&mut self, product: &str, mut members: Vec<(Key, Node)>, path: &Path<'_>) {
        let entry = match Entry::read(&mut members) {
            Read::Entry(entry) => entry,
            Read::NoSeatField => return self.no_seat_field(path, Node::Map(members).into_value()),
            Read::Odd => {
                // A seat field of the wrong type: let decoding say what is wrong.
                let value = Node::Map(members).into_value();
                match UnitedPlanUsage::deserialize(&value) {
                    Ok(entry) => {
                        let entry = Entry::from_decoded(entry);
                        if !entry.has_seat_field() {
                            return self.no_seat_field(path, value);
                        }
                        entry
                    }
                    Err(error) => {
                        return self.unrecognized(
                            path,
                            value,
                            format!("not a plan usage entry: {error}"),
                        );
                    }
                }
            }
        };
        self.entry(product, entry, path);
    }

    /// One plan entry's seats, and what the seat model has no place for.
    fn entry(&mut self, product: &str, entry: Entry, path: &Path<'_>) {
        let purchased = self.count(entry.hosts, path, "hosts");
        let used = self.count(entry.usage, path, "usage");
        let pending = self.count(entry.pending, path, "pending");
        let seats = Seats::new(product, entry.plan, purchased, used, pending).with_name(entry.name);
        self.report.seats.push(seats);
        for (key, member) in entry.extra {
            if !IGNORED_ENTRY_FIELDS.contains(&key.as_str()) {
                self.unrecognized(
                    &path.key(&key),
                    member,
                    "a plan entry field the seat model has no place for",
                );
            }
        }
    }

    fn no_seat_field(&mut self, path: &Path<'_>, value: Value) {
        self.unrecognized(
            path,
            value,
            "an object without any plan usage field (hosts, usage, pending, type, name)",
        );
    }

    /// `plan_recording`: Zoom's storage figures as display text.
    fn recording(&mut self, product: &str, mut value: Node, path: &Path<'_>) {
        let recording = match Recording::read(&mut value) {
            Some(recording) => recording,
            None => {
                // Not an object, or a known field of the wrong type: let decoding say why.
                let value = value.into_value();
                match RecordingUsage::deserialize(&value) {
                    Ok(recording) => Recording::from_decoded(recording),
                    Err(error) => {
                        return self.unrecognized(
                            path,
                            value,
                            format!("not a recording storage object: {error}"),
                        );
                    }
                }
            }
        };
        self.storage(product, recording, path);
    }

    /// `plan_recording`'s figures as one storage row, and what the model has no place for.
    fn storage(&mut self, product: &str, recording: Recording, path: &Path<'_>) {
        let mut parts = Vec::with_capacity(STORAGE_FIELDS.len());
        for ((key, role), text) in STORAGE_FIELDS.into_iter().zip(recording.sizes) {
            let Some(text) = text else { continue };
            let bytes = match parse_size(&text) {
                Ok(bytes) => Some(bytes),
                Err(SizeError::Empty) => None,
                Err(error) => {
                    self.unrecognized(
                        &path.key(key),
                        Value::String(text.clone()),
                        format!("unreadable storage size: {error}"),
                    );
                    None
                }
            };
            parts.push(StoragePart {
                key: key.to_owned(),
                role,
                text: Some(text),
                bytes,
            });
        }
        let excess_allowed_until = match recording.max_exceed_date {
            Some(date) if parse_date(&date).is_some() => Some(date),
            Some(date) if date.trim().is_empty() => None,
            Some(date) => {
                self.unrecognized(
                    &path.key("max_exceed_date"),
                    Value::String(date),
                    "not a yyyy-mm-dd date",
                );
                None
            }
            None => None,
        };
        for (key, member) in recording.extra {
            self.unrecognized(
                &path.key(&key),
                member,
                "a recording storage field unknown to the storage model",
            );
        }
        self.report.storage.push(
            Storage::new(product, recording.plan, parts)
                .with_excess_allowed_until(excess_allowed_until),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const GB: u64 = crate::size::BYTES_PER_GB;
    const SEED_USAGE: &str =
        include_str!("../../../tests/fixtures/seeds/000-plan-usage.response.json");
    const SEED_ADDON: &str = include_str!("../../../tests/fixtures/seeds/001-addon.response.json");
    const AT: &str = "2026-05-04T09:30:00Z";

    fn decode(json: &str) -> PlanUsageReport {
        serde_json::from_str(json).expect("decodes through the generated type")
    }

    fn report_of(value: Value) -> UsageReport {
        let usage: PlanUsageReport =
            serde_json::from_value(value).expect("decodes through the generated type");
        zoom_report("me", &usage, AT.to_owned())
    }

    fn one<'a>(report: &'a UsageReport, product: &'a str) -> &'a Seats {
        let rows: Vec<&Seats> = report.seats_of(product).collect();
        assert_eq!(rows.len(), 1, "{product}: {rows:?}");
        rows[0]
    }

    fn figures(seats: &Seats) -> (Option<u64>, Option<u64>, Option<u64>, Option<&str>) {
        (
            seats.purchased(),
            seats.used(),
            seats.pending(),
            seats.plan(),
        )
    }

    #[test]
    fn seed_000_maps_completely() {
        let report = zoom_report("me", &decode(SEED_USAGE), AT.to_owned());
        assert_eq!(report.vendor, Vendor::Zoom);
        assert_eq!(report.account, "me");
        assert_eq!(report.collected_at, AT);
        assert_eq!(report.unrecognized, []);
        assert_eq!(report.activity, None);
        assert_eq!(report.expiring, None);

        let webinar = one(&report, "plan_webinar");
        assert_eq!(
            figures(webinar),
            (Some(25), Some(18), Some(1), Some("webinar500_monthly"))
        );
        assert_eq!(webinar.available(), Some(7));
        assert!(!webinar.over_allocated());

        let iq = one(&report, "plan_zoom_iq");
        assert_eq!(
            figures(iq),
            (Some(18), Some(28), Some(1), Some("ziq_sales_monthly"))
        );
        assert!(iq.over_allocated());
        assert_eq!(iq.available(), Some(-10));

        let rooms = one(&report, "plan_zoom_rooms");
        assert_eq!(
            figures(rooms),
            (Some(20), Some(12), None, Some("zroom_monthly"))
        );
        let connector = one(&report, "plan_room_connector");
        assert_eq!(connector.pending(), None);

        let united = one(&report, "plan_united");
        assert_eq!(
            united.name(),
            Some("Zoom Meetings Pro and Zoom Phone Pro Monthly")
        );
        assert_eq!(
            figures(united),
            (Some(20), Some(17), Some(1), Some("pro_zpp_monthly"))
        );

        let base = one(&report, "plan_base");
        assert_eq!(figures(base), (Some(75), Some(44), Some(3), Some("yearly")));

        // One seat row per seat entry of the seed: every plan key but plan_recording, an
        // array counting its entries.
        let seed: Value = serde_json::from_str(SEED_USAGE).expect("seed is JSON");
        let entries: usize = seed
            .as_object()
            .expect("seed is an object")
            .iter()
            .filter(|(key, _)| key.as_str() != RECORDING_KEY)
            .map(|(_, value)| value.as_array().map_or(1, Vec::len))
            .sum();
        assert_eq!(entries, 20);
        assert_eq!(report.seats.len(), entries);

        let over: Vec<&str> = report.over_allocated().map(Seats::product).collect();
        assert_eq!(over, ["plan_zoom_iq"]);
        assert_eq!(
            report.max_utilization().map(Seats::product),
            Some("plan_zoom_iq")
        );

        let products: Vec<&str> = report.seats.iter().map(Seats::product).collect();
        let mut sorted = products.clone();
        sorted.sort_unstable();
        assert_eq!(products, sorted);
    }

    #[test]
    fn seed_000_storage_in_bytes() {
        let report = zoom_report("me", &decode(SEED_USAGE), AT.to_owned());
        assert_eq!(report.storage.len(), 1);
        let storage = &report.storage[0];
        assert_eq!(storage.product(), "plan_recording");
        assert_eq!(storage.plan(), Some("cmr_monthly_commitment_40"));
        assert_eq!(storage.purchased_bytes(), Some(2 * GB + 10 * GB));
        assert_eq!(storage.used_bytes(), Some(2 * GB + GB));
        assert!(!storage.over_quota());
        assert_eq!(storage.excess_allowed_until(), Some("2023-05-04"));
        let parts: Vec<(&str, StorageRole, Option<&str>, Option<u64>)> = storage
            .parts()
            .iter()
            .map(|p| (p.key.as_str(), p.role, p.text.as_deref(), p.bytes))
            .collect();
        assert_eq!(
            parts,
            [
                (
                    "plan_storage",
                    StorageRole::Purchased,
                    Some("10 GB"),
                    Some(10 * GB)
                ),
                (
                    "free_storage",
                    StorageRole::Purchased,
                    Some("2 GB"),
                    Some(2 * GB)
                ),
                (
                    "plan_storage_usage",
                    StorageRole::Used,
                    Some("1 GB"),
                    Some(GB)
                ),
                (
                    "free_storage_usage",
                    StorageRole::Used,
                    Some("2 GB"),
                    Some(2 * GB)
                ),
                (
                    "plan_storage_exceed",
                    StorageRole::Exceeded,
                    Some("0"),
                    Some(0)
                ),
            ]
        );
    }

    #[test]
    fn list_form_example_of_the_spec() {
        // The spec's GetPlanUsage example `list-form`: keys documented as arrays, sent as arrays.
        let report = report_of(json!({
            "plan_base": [{"hosts": 10, "usage": 7, "pending": 0, "type": "monthly"}],
            "plan_zoom_rooms": [{"hosts": 3, "usage": 2, "type": "zroom_monthly"}],
            "plan_room_connector": [{"hosts": 2, "usage": 1, "type": "roomconnector_monthly"}],
            "plan_zwr": [{"hosts": 4, "usage": 4, "pending": 0, "type": "zwr_monthly"}],
            "plan_zva": [{"hosts": 3, "usage": 1, "pending": 0, "type": "zva_monthly"}]
        }));
        assert_eq!(report.unrecognized, []);
        assert_eq!(report.seats.len(), 5);
        assert_eq!(
            figures(one(&report, "plan_base")),
            (Some(10), Some(7), Some(0), Some("monthly"))
        );
        assert_eq!(
            figures(one(&report, "plan_zoom_rooms")),
            (Some(3), Some(2), None, Some("zroom_monthly"))
        );
        assert_eq!(one(&report, "plan_zwr").utilization(), Some(1.0));
        assert!(report.storage.is_empty());
    }

    #[test]
    fn several_entries_of_one_key_keep_their_order() {
        let report = report_of(json!({
            "plan_webinar": [
                {"hosts": 25, "usage": 18, "pending": 1, "type": "webinar500_monthly"},
                {"hosts": 2, "usage": 2, "pending": 0, "type": "webinar1000_monthly"}
            ]
        }));
        let plans: Vec<Option<&str>> = report.seats_of("plan_webinar").map(Seats::plan).collect();
        assert_eq!(
            plans,
            [Some("webinar500_monthly"), Some("webinar1000_monthly")]
        );
    }

    #[test]
    fn a_new_plan_key_becomes_seats() {
        let usage: PlanUsageReport = serde_json::from_value(json!({
            "plan_future_widget": {"hosts": 5, "usage": 2, "pending": 0, "type": "fw_monthly"},
            "plan_future_list": [{"hosts": 1, "usage": 1, "type": "fl_yearly"}]
        }))
        .expect("decodes");
        // The generated type keeps keys it does not know in its catch-all map.
        assert!(usage.extra.contains_key("plan_future_widget"));
        let report = zoom_report("me", &usage, AT.to_owned());
        assert_eq!(report.unrecognized, []);
        assert_eq!(
            figures(one(&report, "plan_future_widget")),
            (Some(5), Some(2), Some(0), Some("fw_monthly"))
        );
        assert_eq!(
            figures(one(&report, "plan_future_list")),
            (Some(1), Some(1), None, Some("fl_yearly"))
        );
    }

    #[test]
    fn odd_values_are_unrecognized() {
        let report = report_of(json!({
            "plan_odd": "text",
            "plan_number": 7,
            "plan_flag": true,
            "plan_nothing": null,
            "plan_empty": {},
            "plan_mixed": [{"hosts": 1, "usage": 0, "type": "m"}, "x", 3],
            "plan_negative": {"hosts": -1, "usage": 2, "type": "neg"},
            "plan_wrong_type": {"hosts": "five"},
            "plan_extra": {"hosts": 2, "usage": 1, "type": "e", "partner_sku": "SKU", "active_hosts": 1},
            "next_page_token": "abc"
        }));
        let found: Vec<(&str, &Value)> = report
            .unrecognized
            .iter()
            .map(|u| (u.path.as_str(), &u.value))
            .collect();
        let expected = [
            ("/plan_odd", json!("text")),
            ("/plan_number", json!(7)),
            ("/plan_flag", json!(true)),
            ("/plan_empty", json!({})),
            ("/plan_mixed/1", json!("x")),
            ("/plan_mixed/2", json!(3)),
            ("/plan_negative/hosts", json!(-1)),
            ("/plan_wrong_type", json!({"hosts": "five"})),
            ("/plan_extra/partner_sku", json!("SKU")),
            ("/next_page_token", json!("abc")),
        ];
        assert_eq!(found.len(), expected.len(), "{found:?}");
        for (path, value) in &expected {
            assert!(
                found.contains(&(*path, value)),
                "{path} missing from {found:?}"
            );
        }
        assert!(
            report
                .unrecognized
                .iter()
                .all(|u| u.operation == OPERATION && !u.reason.is_empty())
        );

        let negative = one(&report, "plan_negative");
        assert_eq!(figures(negative), (None, Some(2), None, Some("neg")));
        assert!(!negative.over_allocated());
        assert_eq!(one(&report, "plan_mixed").purchased(), Some(1));
        assert_eq!(one(&report, "plan_extra").used(), Some(1));
        assert_eq!(report.seats_of("plan_nothing").count(), 0);
        assert_eq!(report.seats.len(), 3);
    }

    #[test]
    fn unreadable_storage_leaves_the_total_unknown() {
        let report = report_of(json!({
            "plan_recording": {
                "free_storage": "2 GB",
                "plan_storage": "lots",
                "free_storage_usage": "2 GB",
                "plan_storage_usage": "1 GB",
                "max_exceed_date": "soon",
                "storage_color": "blue"
            }
        }));
        let storage = &report.storage[0];
        assert_eq!(storage.purchased_bytes(), None);
        assert_eq!(storage.used_bytes(), Some(3 * GB));
        assert!(!storage.over_quota());
        assert_eq!(storage.excess_allowed_until(), None);
        let lots = storage.parts().iter().find(|p| p.key == "plan_storage");
        assert_eq!(
            lots.map(|p| (p.text.as_deref(), p.bytes)),
            Some((Some("lots"), None))
        );

        let paths: Vec<(&str, &Value)> = report
            .unrecognized
            .iter()
            .map(|u| (u.path.as_str(), &u.value))
            .collect();
        assert_eq!(
            paths,
            [
                ("/plan_recording/plan_storage", &json!("lots")),
                ("/plan_recording/max_exceed_date", &json!("soon")),
                ("/plan_recording/storage_color", &json!("blue")),
            ]
        );
    }

    #[test]
    fn empty_storage_text_is_not_reported() {
        let report = report_of(json!({
            "plan_recording": {"free_storage": "", "plan_storage": "10 GB", "plan_storage_usage": "11 GB", "max_exceed_date": ""}
        }));
        assert_eq!(report.unrecognized, []);
        let storage = &report.storage[0];
        assert_eq!(storage.purchased_bytes(), None);
        assert_eq!(storage.used_bytes(), Some(11 * GB));
        // Used against an unknown allowance: not flagged.
        assert!(!storage.over_quota());
    }

    #[test]
    fn exceeded_storage_is_over_quota() {
        let report = report_of(json!({
            "plan_recording": {"free_storage": "0", "plan_storage": "1 TB", "plan_storage_usage": "1.5 TB", "plan_storage_exceed": "500 GB"}
        }));
        let storage = &report.storage[0];
        assert_eq!(storage.purchased_bytes(), Some(1_000 * GB));
        assert_eq!(storage.used_bytes(), Some(1_500 * GB));
        assert!(storage.over_quota());
        assert_eq!(report.over_quota().count(), 1);
    }

    #[test]
    fn nested_groups_from_the_addon_seed() {
        // The add-on result (seed 001) is a different response (`plan_recording` is a plan
        // code there), so it is not a usage report ...
        assert!(serde_json::from_str::<PlanUsageReport>(SEED_ADDON).is_err());
        // ... but its groups show the nested shapes Zoom uses; arriving in a usage report,
        // they map with dotted product keys.
        let seed: Value = serde_json::from_str(SEED_ADDON).expect("seed is JSON");
        let mut groups = serde_json::Map::new();
        for key in ["plan_zcc", "plan_znode", "plan_phone"] {
            groups.insert(key.to_owned(), seed[key].clone());
        }
        let report = report_of(Value::Object(groups));
        let products: Vec<&str> = report.seats.iter().map(Seats::product).collect();
        assert_eq!(
            products,
            [
                "plan_phone.plan_base",
                "plan_phone.plan_calling",
                "plan_phone.plan_calling_addons",
                "plan_phone.plan_number",
                "plan_zcc.plan_package",
                "plan_zcc.plan_phone_number",
                "plan_zcc.plan_usage",
                "plan_znode.plan_mchybrid",
                "plan_znode.plan_rchybrid",
                "plan_znode.plan_zmhybrid",
                "plan_znode.plan_znode_base",
                "plan_znode.plan_zphybrid",
            ]
        );
        assert_eq!(
            figures(one(&report, "plan_zcc.plan_usage")),
            (Some(39), None, None, Some("zcc_pay_as_you_go"))
        );
        assert_eq!(
            figures(one(&report, "plan_znode.plan_zphybrid")),
            (Some(2), None, None, Some("zph_monthly"))
        );
        // Purchase details of the add-on shapes have no place in the usage model.
        let paths: Vec<&str> = report
            .unrecognized
            .iter()
            .map(|u| u.path.as_str())
            .collect();
        assert!(paths.contains(&"/plan_zcc/plan_package/callout_countries"));
        assert!(paths.contains(&"/plan_znode/plan_zphybrid/discount_rate"));
        assert!(paths.contains(&"/plan_phone/plan_base/callout_countries"));
        assert_eq!(
            paths
                .iter()
                .filter(|p| p.starts_with("/plan_znode/"))
                .count(),
            5 * 3
        );
    }

    #[test]
    fn usage_groups_map_with_dotted_keys() {
        let report = report_of(json!({
            "plan_znode": {
                "plan_zphybrid": {"hosts": 8, "usage": 9, "pending": 0, "type": "zphybrid_monthly"},
                "plan_cmrhybrid": [{"hosts": 2, "usage": 1, "type": "cmr"}]
            },
            "plan_zcc": {
                "plan_usage": {"hosts": 4, "usage": 3, "pending": 1, "type": "zcc_usage"},
                "plan_recording": {"plan_storage": "5 GB", "plan_storage_usage": "1 GB", "type": "zcc_rec"},
                "region": "US"
            }
        }));
        assert!(one(&report, "plan_znode.plan_zphybrid").over_allocated());
        assert_eq!(
            figures(one(&report, "plan_znode.plan_cmrhybrid")),
            (Some(2), Some(1), None, Some("cmr"))
        );
        assert_eq!(
            figures(one(&report, "plan_zcc.plan_usage")),
            (Some(4), Some(3), Some(1), Some("zcc_usage"))
        );
        assert_eq!(report.storage.len(), 1);
        assert_eq!(report.storage[0].product(), "plan_zcc.plan_recording");
        assert_eq!(report.storage[0].purchased_bytes(), Some(5 * GB));
        let paths: Vec<&str> = report
            .unrecognized
            .iter()
            .map(|u| u.path.as_str())
            .collect();
        assert_eq!(paths, ["/plan_zcc/region"]);
    }

    #[test]
    fn deep_nesting_stops_without_a_panic() {
        let mut value = json!({"hosts": 1, "usage": 1, "type": "deep"});
        for _ in 0..40 {
            value = json!({ "plan_level": value });
        }
        let report = report_of(json!({ "plan_deep": value }));
        assert!(report.seats.is_empty());
        assert_eq!(report.unrecognized.len(), 1);
        assert!(report.unrecognized[0].reason.contains("deeper"));
    }

    #[test]
    fn pointer_segments_are_escaped_in_paths() {
        let report = report_of(json!({"odd/key~": 1}));
        assert_eq!(report.unrecognized[0].path, "/odd~1key~0");
    }

    /// The mapping as it was before the encoding walk: re-encode the whole report to a
    /// `serde_json::Value` and decode every member again. The oracle of `same_as_reference`.
    mod reference {
        use super::super::*;

        pub(super) fn zoom_report(
            account: &str,
            usage: &PlanUsageReport,
            collected_at: String,
        ) -> UsageReport {
            let mut mapper = Mapper {
                report: UsageReport::new(Vendor::Zoom, account, collected_at),
            };
            match serde_json::to_value(usage) {
                Ok(Value::Object(members)) => {
                    for (key, value) in &members {
                        mapper.top_level(key, value);
                    }
                }
                Ok(other) => {
                    mapper.unrecognized("", other, "the plan usage report is not an object")
                }
                Err(error) => mapper.unrecognized(
                    "",
                    Value::Null,
                    format!("the decoded plan usage report could not be re-encoded: {error}"),
                ),
            }
            let mut report = mapper.report;
            report.seats.sort_by(|a, b| a.product().cmp(b.product()));
            report
        }

        /// Builds one report, collecting what it cannot place.
        struct Mapper {
            report: UsageReport,
        }

        impl Mapper {
            fn unrecognized(&mut self, path: &str, value: Value, reason: impl Into<String>) {
                self.report
                    .unrecognized
                    .push(Unrecognized::new(path, OPERATION, value, reason));
            }

            /// One member of the report.
            fn top_level(&mut self, key: &str, value: &Value) {
                let path = pointer_join("", key);
                if !key.starts_with("plan_") {
                    self.unrecognized(&path, value.clone(), "not a plan key");
                } else if key == RECORDING_KEY {
                    self.recording(key, value, &path);
                } else {
                    self.plan_value(key, value, &path, 0);
                }
            }

            /// The value of a `plan_*` key: an entry, a list of entries, or a group.
            fn plan_value(&mut self, product: &str, value: &Value, path: &str, depth: usize) {
                if depth > MAX_DEPTH {
                    self.unrecognized(
                        path,
                        value.clone(),
                        format!("plan groups nested deeper than {MAX_DEPTH} levels"),
                    );
                    return;
                }
                match value {
                    Value::Null => {}
                    Value::Array(entries) => {
                        for (index, entry) in entries.iter().enumerate() {
                            let entry_path = pointer_join(path, &index.to_string());
                            if entry.is_object() {
                                self.object(product, entry, &entry_path, depth + 1);
                            } else {
                                self.unrecognized(
                                    &entry_path,
                                    entry.clone(),
                                    "a plan list entry that is not an object",
                                );
                            }
                        }
                    }
                    Value::Object(_) => self.object(product, value, path, depth),
                    other => self.unrecognized(
                        path,
                        other.clone(),
                        "a plan value that is neither an object nor a list of objects",
                    ),
                }
            }

            /// An object under a `plan_*` key: a group of plans, or one plan's seats.
            fn object(&mut self, product: &str, value: &Value, path: &str, depth: usize) {
                let Value::Object(members) = value else {
                    return;
                };
                if !members.keys().any(|key| key.starts_with("plan_")) {
                    self.seats(product, value, path);
                    return;
                }
                for (key, member) in members {
                    let member_path = pointer_join(path, key);
                    let member_product = format!("{product}.{key}");
                    if !key.starts_with("plan_") {
                        self.unrecognized(
                            &member_path,
                            member.clone(),
                            "not a plan key inside a plan group",
                        );
                    } else if key == RECORDING_KEY {
                        self.recording(&member_product, member, &member_path);
                    } else {
                        self.plan_value(&member_product, member, &member_path, depth + 1);
                    }
                }
            }

            /// A licence count: Zoom's integers, refused when negative.
            fn count(&mut self, value: Option<i64>, path: &str, key: &str) -> Option<u64> {
                let value = value?;
                match u64::try_from(value) {
                    Ok(count) => Some(count),
                    Err(_) => {
                        self.unrecognized(
                            &pointer_join(path, key),
                            Value::from(value),
                            "a negative licence count",
                        );
                        None
                    }
                }
            }

            /// One plan's seats.
            fn seats(&mut self, product: &str, value: &Value, path: &str) {
                let entry = match UnitedPlanUsage::deserialize(value) {
                    Ok(entry) => entry,
                    Err(error) => {
                        self.unrecognized(
                            path,
                            value.clone(),
                            format!("not a plan usage entry: {error}"),
                        );
                        return;
                    }
                };
                let has_seat_field = entry.hosts.is_some()
                    || entry.usage.is_some()
                    || entry.pending.is_some()
                    || entry.type_.is_some()
                    || entry.name.is_some();
                if !has_seat_field {
                    self.unrecognized(
                        path,
                        value.clone(),
                        "an object without any plan usage field (hosts, usage, pending, type, name)",
                    );
                    return;
                }
                let purchased = self.count(entry.hosts, path, "hosts");
                let used = self.count(entry.usage, path, "usage");
                let pending = self.count(entry.pending, path, "pending");
                let seats = Seats::new(product, entry.type_, purchased, used, pending)
                    .with_name(entry.name);
                self.report.seats.push(seats);
                for (key, member) in entry.extra {
                    if !IGNORED_ENTRY_FIELDS.contains(&key.as_str()) {
                        self.unrecognized(
                            &pointer_join(path, &key),
                            member,
                            "a plan entry field the seat model has no place for",
                        );
                    }
                }
            }

            /// `plan_recording`: Zoom's storage figures as display text.
            fn recording(&mut self, product: &str, value: &Value, path: &str) {
                let recording = match RecordingUsage::deserialize(value) {
                    Ok(recording) => recording,
                    Err(error) => {
                        self.unrecognized(
                            path,
                            value.clone(),
                            format!("not a recording storage object: {error}"),
                        );
                        return;
                    }
                };
                let mut parts = Vec::new();
                for (key, role) in STORAGE_FIELDS {
                    let text = match key {
                        "plan_storage" => &recording.plan_storage,
                        "free_storage" => &recording.free_storage,
                        "plan_storage_usage" => &recording.plan_storage_usage,
                        "free_storage_usage" => &recording.free_storage_usage,
                        _ => &recording.plan_storage_exceed,
                    };
                    let Some(text) = text else { continue };
                    let bytes = match parse_size(text) {
                        Ok(bytes) => Some(bytes),
                        Err(SizeError::Empty) => None,
                        Err(error) => {
                            self.unrecognized(
                                &pointer_join(path, key),
                                Value::String(text.clone()),
                                format!("unreadable storage size: {error}"),
                            );
                            None
                        }
                    };
                    parts.push(StoragePart {
                        key: key.to_owned(),
                        role,
                        text: Some(text.clone()),
                        bytes,
                    });
                }
                let excess_allowed_until = match recording.max_exceed_date {
                    Some(date) if parse_date(&date).is_some() => Some(date),
                    Some(date) if date.trim().is_empty() => None,
                    Some(date) => {
                        self.unrecognized(
                            &pointer_join(path, "max_exceed_date"),
                            Value::String(date),
                            "not a yyyy-mm-dd date",
                        );
                        None
                    }
                    None => None,
                };
                for (key, member) in recording.extra {
                    self.unrecognized(
                        &pointer_join(path, &key),
                        member,
                        "a recording storage field unknown to the storage model",
                    );
                }
                self.report.storage.push(
                    Storage::new(product, recording.type_, parts)
                        .with_excess_allowed_until(excess_allowed_until),
                );
            }
        }
    }

    mod properties {
        use super::*;
        use proptest::prelude::*;

        fn any_json() -> impl Strategy<Value = Value> {
            let leaf =
                prop_oneof![
                Just(Value::Null),
                any::<bool>().prop_map(Value::from),
                any::<i64>().prop_map(Value::from),
                any::<f64>().prop_filter("finite", |f| f.is_finite()).prop_map(Value::from),
                "(plan_[a-z]{1,3}|hosts|usage|pending|type|name|[a-z]{1,4}|[0-9 .]{0,4}(GB|MB)?)"
                    .prop_map(Value::from),
            ];
            leaf.prop_recursive(4, 48, 6, |inner| {
                prop_oneof![
                    prop::collection::vec(inner.clone(), 0..6).prop_map(Value::from),
                    prop::collection::btree_map(
                        "(plan_[a-z]{1,3}|plan_recording|hosts|usage|pending|type|name|free_storage|plan_storage|[a-z]{1,4})",
                        inner,
                        0..6
                    )
                    .prop_map(|map| Value::Object(map.into_iter().collect())),
                ]
            })
        }

        /// Top-level keys: typed fields of every shape (list, object, one-or-many, recording,
        /// united) and keys the spec does not know.
        const REPORT_KEYS: &str = "(plan_base|plan_webinar|plan_zoom_rooms|plan_united|plan_zwr|plan_recording|plan_zoom_iq|plan_[a-z]{1,2}|[a-z]{1,3})";

        /// Values shaped like plan usage, with every odd case close by.
        fn report_json() -> impl Strategy<Value = Value> {
            let leaf = prop_oneof![
                Just(Value::Null),
                any::<bool>().prop_map(Value::from),
                (-3i64..60).prop_map(Value::from),
                any::<u64>().prop_map(Value::from),
                any::<i64>().prop_map(Value::from),
                (-10.0f64..10.0).prop_map(Value::from),
                "(monthly|[a-z]{1,3}|[0-9]{1,3} ?(GB|MB|TB|KB)|0|lots|2023-05-0[1-9]|soon|)"
                    .prop_map(Value::from),
            ];
            let count = prop_oneof![
                8 => (0i64..60).prop_map(Value::from),
                1 => Just(Value::Null),
                1 => leaf.clone(),
            ];
            let text = prop_oneof![
                8 => "[a-z]{1,8}_monthly".prop_map(Value::from),
                1 => Just(Value::Null),
                1 => leaf.clone(),
            ];
            let size = prop_oneof![
                8 => "([0-9]{1,3} ?(GB|MB|TB)|0|)".prop_map(Value::from),
                1 => "(2023-05-0[1-9]|soon|)".prop_map(Value::from),
                1 => leaf.clone(),
            ];
            let odd = prop::collection::btree_map(
                "(active_hosts|partner_sku|[a-z]{1,3}|a/b~)",
                leaf.clone(),
                0..2,
            );
            let entry = (
                prop::collection::btree_map("(hosts|usage|pending)", count, 0..4),
                prop::collection::btree_map("(type|name)", text, 0..3),
                odd.clone(),
            )
                .prop_map(|(counts, texts, odd)| {
                    Value::Object(counts.into_iter().chain(texts).chain(odd).collect())
                });
            let recording = (
                prop::collection::btree_map(
                    "(free_storage|plan_storage|plan_storage_usage|free_storage_usage|plan_storage_exceed|max_exceed_date|type)",
                    size,
                    0..7,
                ),
                odd,
            )
                .prop_map(|(sizes, odd)| Value::Object(sizes.into_iter().chain(odd).collect()));
            let plan = prop_oneof![
                4 => entry.clone(),
                2 => prop::collection::vec(prop_oneof![4 => entry.clone(), 1 => leaf.clone()], 0..3).prop_map(Value::from),
                1 => leaf.clone(),
            ];
            let group = prop::collection::btree_map(
                "(plan_[a-z]{1,2}|plan_recording|region)",
                prop_oneof![3 => plan.clone(), 1 => recording.clone()],
                0..4,
            )
            .prop_map(|map| Value::Object(map.into_iter().collect()));
            let arbitrary = leaf.prop_recursive(4, 64, 6, |inner| {
                prop_oneof![
                    prop::collection::vec(inner.clone(), 0..4).prop_map(Value::from),
                    prop::collection::btree_map(
                        "(hosts|usage|pending|type|name|active_hosts|plan_[a-z]{1,2}|plan_recording|free_storage|plan_storage|max_exceed_date|a/b~)",
                        inner,
                        0..6
                    )
                    .prop_map(|map| Value::Object(map.into_iter().collect())),
                ]
            });
            prop_oneof![
                6 => plan,
                2 => recording,
                2 => group,
                1 => arbitrary,
            ]
        }

        #[test]
        fn seeds_same_as_reference() {
            let usage = decode(SEED_USAGE);
            assert_eq!(
                zoom_report("me", &usage, AT.to_owned()),
                reference::zoom_report("me", &usage, AT.to_owned())
            );
            let seed: Value = serde_json::from_str(SEED_ADDON).expect("seed is JSON");
            let usage: PlanUsageReport = serde_json::from_value(json!({
                "plan_zcc": seed["plan_zcc"],
                "plan_znode": seed["plan_znode"],
                "plan_phone": seed["plan_phone"],
                "plan_base": {"hosts": 1, "active_hosts": 1, "partner_sku": "x"},
            }))
            .expect("decodes");
            assert_eq!(
                zoom_report("me", &usage, AT.to_owned()),
                reference::zoom_report("me", &usage, AT.to_owned())
            );
        }

        /// `cargo test -p meeting-usage --release --lib -- --ignored --nocapture mapping_cost`
        #[test]
        #[ignore = "timing, not a check"]
        fn mapping_cost() {
            let usage = decode(SEED_USAGE);
            let rounds = 20_000;
            for (name, map) in [
                (
                    "walk",
                    zoom_report as fn(&str, &PlanUsageReport, String) -> UsageReport,
                ),
                ("reference", reference::zoom_report),
                ("walk", zoom_report),
                ("reference", reference::zoom_report),
            ] {
                let start = std::time::Instant::now();
                for _ in 0..rounds {
                    std::hint::black_box(map("me", std::hint::black_box(&usage), AT.to_owned()));
                }
                let per_call = start.elapsed().as_secs_f64() * 1e6 / f64::from(rounds);
                println!("{name:<10} {per_call:.2} us per report");
            }
        }

        proptest! {
            #[test]
            fn same_as_reference(members in prop::collection::btree_map(REPORT_KEYS, report_json(), 0..8)) {
                let value = Value::Object(members.into_iter().collect());
                if let Ok(usage) = serde_json::from_value::<PlanUsageReport>(value) {
                    prop_assert_eq!(
                        zoom_report("me", &usage, AT.to_owned()),
                        reference::zoom_report("me", &usage, AT.to_owned())
                    );
                }
            }
        }

        proptest! {
            #[test]
            fn any_report_maps_without_a_panic(members in prop::collection::btree_map("[a-z_]{1,12}", any_json(), 0..6)) {
                let value = Value::Object(members.into_iter().collect());
                // Only what the generated type accepts reaches the mapping.
                if let Ok(usage) = serde_json::from_value::<PlanUsageReport>(value) {
                    let report = zoom_report("me", &usage, AT.to_owned());
                    for seats in &report.seats {
                        prop_assert_eq!(
                            seats.over_allocated(),
                            matches!((seats.purchased(), seats.used()), (Some(p), Some(u)) if u > p)
                        );
                    }
                }
            }
        }
    }
}
