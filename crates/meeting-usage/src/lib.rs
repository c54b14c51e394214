//! meeting-usage: what an organisation bought and uses, over Zoom and Huawei Cloud Meeting.

pub mod model;
mod size;
mod time;
mod zoom_map;
mod huawei_map;

pub use model::*;
