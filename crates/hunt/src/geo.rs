//! Optional geo/ASN enrichment of sign-in events from MaxMind-format
//! databases the user supplies (`--geoip GeoLite2-ASN.mmdb --geoip
//! GeoLite2-City.mmdb`; a Country database gives the country only). The
//! ASN lets the account detectors cluster sources that share a network
//! operator across different /24s; the City database's `location`
//! (latitude, longitude, accuracy radius) feeds `auth.impossible_travel`.

use haboob_model::{AuthEvent, GeoPoint};
use serde::Deserialize;
use std::borrow::Cow;
use std::collections::HashMap;
use std::fmt;
use std::net::IpAddr;
use std::path::PathBuf;

/// Why a database could not be used.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum GeoError {
    /// The file is not a readable MaxMind DB.
    #[error("{path}: not a readable MaxMind database: {reason}")]
    Open {
        /// The file.
        path: String,
        /// What the reader said.
        reason: String,
    },
}

/// What the databases know of one address.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GeoInfo {
    /// Autonomous system number.
    pub asn: Option<u32>,
    /// ISO country code.
    pub country: Option<String>,
    /// Coordinates and accuracy radius (City databases).
    pub location: Option<GeoPoint>,
}

#[derive(Deserialize)]
struct Record<'a> {
    autonomous_system_number: Option<u32>,
    #[serde(borrow)]
    country: Option<CountryRecord<'a>>,
    location: Option<LocationRecord>,
}

#[derive(Deserialize)]
struct LocationRecord {
    latitude: Option<f64>,
    longitude: Option<f64>,
    accuracy_radius: Option<u16>,
}

#[derive(Deserialize)]
struct CountryRecord<'a> {
    iso_code: Option<&'a str>,
}

/// One or more MaxMind-format databases (ASN, Country or City).
pub struct Geo {
    dbs: Vec<(String, maxminddb::Reader<Vec<u8>>)>,
}

impl fmt::Debug for Geo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<&str> = self.dbs.iter().map(|(n, _)| n.as_str()).collect();
        f.debug_struct("Geo").field("databases", &names).finish()
    }
}

impl Geo {
    /// Open databases from files.
    pub fn open(paths: &[PathBuf]) -> Result<Geo, GeoError> {
        let mut dbs = Vec::new();
        for p in paths {
            let r = maxminddb::Reader::open_readfile(p).map_err(|e| GeoError::Open {
                path: p.display().to_string(),
                reason: e.to_string(),
            })?;
            dbs.push((p.display().to_string(), r));
        }
        Ok(Geo { dbs })
    }

    /// A database from bytes (tests, embedded data).
    pub fn from_bytes(name: &str, bytes: Vec<u8>) -> Result<Geo, GeoError> {
        let r = maxminddb::Reader::from_source(bytes).map_err(|e| GeoError::Open {
            path: name.to_string(),
            reason: e.to_string(),
        })?;
        Ok(Geo {
            dbs: vec![(name.to_string(), r)],
        })
    }

    /// Look an address up in every database; the first answer for each field wins.
    pub fn lookup(&self, ip: IpAddr) -> GeoInfo {
        let mut info = GeoInfo::default();
        for (_, db) in &self.dbs {
            let Ok(found) = db.lookup(ip) else { continue };
            let Ok(Some(rec)) = found.decode::<Record<'_>>() else {
                continue;
            };
            info.asn = info.asn.or(rec.autonomous_system_number);
            if info.country.is_none() {
                info.country = rec
                    .country
                    .and_then(|c| c.iso_code)
                    .map(|c| c.chars().take(8).collect());
            }
            if info.location.is_none() {
                info.location = rec.location.and_then(|l| {
                    GeoPoint::new(l.latitude?, l.longitude?, l.accuracy_radius.unwrap_or(0))
                });
            }
        }
        info
    }

    /// Whether there is any database.
    pub fn is_empty(&self) -> bool {
        self.dbs.is_empty()
    }

    /// Path of the databases, for messages.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.dbs.iter().map(|(n, _)| n.as_str())
    }
}

/// A per-stream cache in front of [`Geo`] (bounded: cleared when full).
pub(crate) struct GeoCache<'g> {
    geo: &'g Geo,
    seen: HashMap<IpAddr, GeoInfo>,
}

const MAX_CACHED: usize = 1 << 16;

impl<'g> GeoCache<'g> {
    pub(crate) fn new(geo: &'g Geo) -> Self {
        GeoCache {
            geo,
            seen: HashMap::new(),
        }
    }

    /// The event with ASN, country and location filled where the source left
    /// them out; `None` when there is nothing to add.
    pub(crate) fn enrich<'a>(&mut self, ev: &AuthEvent<'a>) -> Option<AuthEvent<'a>> {
        let ip = ev.source_ip?;
        if ev.asn.is_some() && !ev.country.is_empty() && ev.location.is_some() {
            return None;
        }
        if self.seen.len() >= MAX_CACHED {
            self.seen.clear();
        }
        let geo = self.geo;
        let info = self.seen.entry(ip).or_insert_with(|| geo.lookup(ip));
        let asn = ev.asn.or(info.asn);
        let location = ev.location.or(info.location);
        let add_country = ev.country.is_empty() && info.country.is_some();
        if asn == ev.asn && location == ev.location && !add_country {
            return None;
        }
        let mut out = ev.clone();
        out.asn = asn;
        out.location = location;
        if add_country {
            out.country = Cow::Owned(info.country.clone().unwrap_or_default());
        }
        Some(out)
    }
}

/// Open the databases named on the command line (none: `None`).
pub fn open_optional(paths: &[PathBuf]) -> Result<Option<Geo>, GeoError> {
    if paths.is_empty() {
        Ok(None)
    } else {
        Geo::open(paths).map(Some)
    }
}
