//! Storage sizes: Zoom's display text (`"2 GB"`) and Huawei's gigabyte numbers, to bytes.
//!
//! # Unit convention: decimal (1 GB = 10^9 bytes)
//!
//! Neither vendor defines its unit. Zoom's plan-usage response reports storage as display
//! text (`"10 GB"`, `"0"`) and its billing and support pages speak of "GB" allowances per
//! licence without saying whether a gigabyte is 10^9 or 2^30 bytes; Huawei's `usedRecStorage`
//! and recording capacity are plain "GB" numbers. Searching Zoom's developer and support
//! documentation turned up no definition (checked: plan-usage reference, cloud recording
//! storage and usage-report support articles). Third-party guidance on Zoom's allowances
//! equates 0.5 GB with 500 MB, which is the decimal reading.
//!
//! This is therefore **a decision of this crate**, not a vendor fact: every size is decimal,
//! the SI meaning of the prefixes (kB = 10^3, MB = 10^6, GB = 10^9, TB = 10^12, PB = 10^15),
//! for both vendors. What matters most for an administrator is unaffected by the choice:
//! every part of one vendor's storage is converted with the same factor, so sums,
//! comparisons (over quota or not) and ratios are identical either way; only the absolute
//! byte count differs (by 7.4 % at GB). Text that names a binary unit explicitly (`"2 GiB"`)
//! is read as binary, since there it is unambiguous.
//!
//! # Zoom's text
//!
//! [`parse_size`] reads `<number> <unit>`: an unsigned decimal number with an optional
//! fraction (`1.5`), optional white space, and a case-insensitive unit (`B`, `KB`, `MB`,
//! `GB`, `TB`, `PB`, or their `iB` forms). Zoom writes zero as a bare `"0"`, so a number
//! without a unit is accepted only when it is zero; `"5"` alone is refused, since it could
//! mean bytes or gigabytes. Fractions are computed exactly from their decimal digits (no
//! floating point); a fraction finer than one byte is rounded to the nearest byte (half up).
//!
//! Empty (or all-blank) text is the typed outcome [`SizeError::Empty`]. Neither the spec nor
//! the reference sheet says what Zoom means by `""`; the mapping reads it as "not reported"
//! (the figure is unknown, not zero), so it never counts as 0 bytes, but it is not a
//! malformed value either, so callers can tell the two apart.

use thiserror::Error;

/// Bytes in one decimal gigabyte, the unit of Huawei's storage figures.
pub const BYTES_PER_GB: u64 = 1_000_000_000;

/// Fractional digits beyond this many are checked to be digits but ignored: at the largest
/// unit (PB, 10^15 bytes) the 18th fractional digit is already a thousandth of a byte.
const MAX_FRACTION_DIGITS: usize = 18;

/// Why a size could not be converted to bytes.
#[derive(Clone, Debug, PartialEq, Error)]
pub enum SizeError {
    /// The text is empty or only white space: the vendor did not report a figure.
    #[error("no size given (empty text)")]
    Empty,
    /// The text does not start with a decimal number (`"lots"`, `"-1 GB"`, `".5 GB"`).
    #[error("{0:?} does not start with an unsigned decimal number")]
    NotANumber(String),
    /// A non-zero number without a unit: bytes or gigabytes cannot be told apart.
    #[error("{0:?} has no unit, and only zero may be written without one")]
    MissingUnit(String),
    /// The unit is not one of B, KB, MB, GB, TB, PB (or KiB … PiB).
    #[error("unknown size unit {unit:?} in {text:?}")]
    UnknownUnit {
        /// The whole text.
        text: String,
        /// The part read as the unit.
        unit: String,
    },
    /// The size does not fit in 64 bits of bytes.
    #[error("{0} is larger than 2^64 - 1 bytes")]
    Overflow(String),
    /// A gigabyte number that is NaN or infinite.
    #[error("{0} is not a finite number")]
    NotFinite(f64),
    /// A negative gigabyte number.
    #[error("{0} is negative")]
    Negative(f64),
}

/// The byte factor of a unit name (already upper-cased); `None` for an unknown unit.
fn unit_factor(unit: &str) -> Option<u128> {
    Some(match unit {
        "B" | "BYTE" | "BYTES" => 1,
        "KB" => 1_000,
        "MB" => 1_000_000,
        "GB" => 1_000_000_000,
        "TB" => 1_000_000_000_000,
        "PB" => 1_000_000_000_000_000,
        "KIB" => 1 << 10,
        "MIB" => 1 << 20,
        "GIB" => 1 << 30,
        "TIB" => 1 << 40,
        "PIB" => 1 << 50,
        _ => return None,
    })
}

/// A decimal number split into its digits: `whole.fraction`.
struct Decimal<'a> {
    whole: &'a str,
    fraction: &'a str,
}

/// Splits `text` (already trimmed) into a leading unsigned decimal number and the rest.
fn split_number(text: &str) -> Option<(Decimal<'_>, &str)> {
    let digits = |s: &str| s.bytes().take_while(u8::is_ascii_digit).count();
    let (whole, rest) = text.split_at(digits(text));
    let (fraction, rest) = match rest.strip_prefix('.') {
        None => ("", rest),
        Some(after_point) if digits(after_point) > 0 => after_point.split_at(digits(after_point)),
        Some(_) => return None, // "5." or "5.x"
    };
    (!whole.is_empty()).then_some((Decimal { whole, fraction }, rest))
}

/// `number × factor` in whole bytes, rounded half up; `None` on overflow.
fn scale(number: &Decimal<'_>, factor: u128) -> Option<u64> {
    let fraction = &number.fraction[..number.fraction.len().min(MAX_FRACTION_DIGITS)];
    let mut mantissa: u128 = 0;
    for digit in number.whole.bytes().chain(fraction.bytes()) {
        mantissa = mantissa
            .checked_mul(10)?
            .checked_add(u128::from(digit - b'0'))?;
    }
    let divisor = 10u128.checked_pow(u32::try_from(fraction.len()).ok()?)?;
    let scaled = mantissa.checked_mul(factor)?;
    let rounded = scaled.checked_add(divisor / 2)? / divisor;
    u64::try_from(rounded).ok()
}

/// Bytes of a storage size written as text, such as Zoom's `"2 GB"`, `"1.5 TB"`, `"500MB"`,
/// `"10 gb"` or `"0"`.
///
/// Sizes are decimal (`GB` = 10^9 bytes; see the module documentation for why). Leading and
/// trailing white space is ignored, and so is white space between number and unit. Every
/// refusal is a [`SizeError`]; in particular `""` is [`SizeError::Empty`], never 0, and a
/// size above `u64::MAX` bytes is [`SizeError::Overflow`].
pub fn parse_size(text: &str) -> Result<u64, SizeError> {
    let trimmed = text.trim();
    if trimmed.is_empty() {
        return Err(SizeError::Empty);
    }
    let (number, rest) =
        split_number(trimmed).ok_or_else(|| SizeError::NotANumber(text.to_owned()))?;
    let unit = rest.trim_start();
    let factor = if unit.is_empty() {
        let zero = number
            .whole
            .bytes()
            .chain(number.fraction.bytes())
            .all(|b| b == b'0');
        if !zero {
            return Err(SizeError::MissingUnit(text.to_owned()));
        }
        1
    } else {
        unit_factor(&unit.to_ascii_uppercase()).ok_or_else(|| SizeError::UnknownUnit {
            text: text.to_owned(),
            unit: unit.to_owned(),
        })?
    };
    scale(&number, factor).ok_or_else(|| SizeError::Overflow(text.to_owned()))
}

/// Bytes of a size given as a number of decimal gigabytes, such as Huawei's `usedRecStorage`
/// (`39.59`), with the same convention as [`parse_size`] (1 GB = 10^9 bytes).
///
/// The value is converted through its shortest decimal representation (the digits Rust
/// prints for it, which read back as the same `f64`), so `39.59` gives exactly
/// 39 590 000 000 bytes rather than a binary-rounding neighbour. NaN and infinities,
/// negative values and values above `u64::MAX` bytes are refused; `-0.0` is zero.
pub fn gb_to_bytes(gigabytes: f64) -> Result<u64, SizeError> {
    if !gigabytes.is_finite() {
        return Err(SizeError::NotFinite(gigabytes));
    }
    if gigabytes < 0.0 {
        return Err(SizeError::Negative(gigabytes));
    }
    // `Display` for f64 never uses an exponent, and `abs` turns -0.0 into 0.0, so the text
    // is always `digits` or `digits.digits`.
    let text = gigabytes.abs().to_string();
    let (number, rest) = split_number(&text).ok_or_else(|| SizeError::NotANumber(text.clone()))?;
    if !rest.is_empty() {
        return Err(SizeError::NotANumber(text));
    }
    scale(&number, u128::from(BYTES_PER_GB)).ok_or(SizeError::Overflow(text))
}

#[cfg(test)]
mod tests {
    use super::*;

    const GB: u64 = BYTES_PER_GB;

    #[test]
    fn zoom_texts() {
        assert_eq!(parse_size("2 GB"), Ok(2 * GB));
        assert_eq!(parse_size("10 GB"), Ok(10 * GB));
        assert_eq!(parse_size("500 MB"), Ok(500_000_000));
        assert_eq!(parse_size("1.5 TB"), Ok(1_500_000_000_000));
        assert_eq!(parse_size("1.5 GB"), Ok(1_500_000_000));
        assert_eq!(parse_size("0"), Ok(0));
        assert_eq!(parse_size("0 MB"), Ok(0));
        assert_eq!(parse_size("0.0"), Ok(0));
        assert_eq!(parse_size("2GB"), Ok(2 * GB));
        assert_eq!(parse_size("10 gb"), Ok(10 * GB));
        assert_eq!(parse_size("  3 Gb  "), Ok(3 * GB));
        assert_eq!(parse_size("7 B"), Ok(7));
        assert_eq!(parse_size("1 KB"), Ok(1_000));
        assert_eq!(parse_size("2 PB"), Ok(2_000_000_000_000_000));
        assert_eq!(parse_size("1 GiB"), Ok(1 << 30));
        assert_eq!(parse_size("1.5 KiB"), Ok(1536));
    }

    #[test]
    fn fractions_are_exact_or_rounded_to_the_byte() {
        assert_eq!(parse_size("0.1 GB"), Ok(100_000_000));
        assert_eq!(parse_size("39.59 GB"), Ok(39_590_000_000));
        assert_eq!(parse_size("1.234567891 GB"), Ok(1_234_567_891));
        // Finer than a byte: rounded half up.
        assert_eq!(parse_size("1.2345678915 GB"), Ok(1_234_567_892));
        assert_eq!(parse_size("0.0004 KB"), Ok(0));
        assert_eq!(parse_size("0.0005 KB"), Ok(1));
        // Very long fractions are accepted; digits beyond the 18th do not matter.
        assert_eq!(parse_size("1.000000000000000000000000000001 GB"), Ok(GB));
    }

    #[test]
    fn empty_is_its_own_outcome() {
        assert_eq!(parse_size(""), Err(SizeError::Empty));
        assert_eq!(parse_size("   "), Err(SizeError::Empty));
    }

    #[test]
    fn refusals_are_typed() {
        assert!(matches!(parse_size("lots"), Err(SizeError::NotANumber(_))));
        assert!(matches!(parse_size("-1 GB"), Err(SizeError::NotANumber(_))));
        assert!(matches!(parse_size("+1 GB"), Err(SizeError::NotANumber(_))));
        assert!(matches!(parse_size(".5 GB"), Err(SizeError::NotANumber(_))));
        assert!(matches!(parse_size("5. GB"), Err(SizeError::NotANumber(_))));
        assert!(matches!(parse_size("GB"), Err(SizeError::NotANumber(_))));
        assert!(matches!(parse_size("5"), Err(SizeError::MissingUnit(_))));
        assert!(matches!(
            parse_size("5 apples"),
            Err(SizeError::UnknownUnit { .. })
        ));
        assert!(matches!(
            parse_size("1,5 GB"),
            Err(SizeError::UnknownUnit { .. })
        ));
        assert!(matches!(
            parse_size("2 GB GB"),
            Err(SizeError::UnknownUnit { .. })
        ));
        assert!(matches!(
            parse_size("2 ＧＢ"),
            Err(SizeError::UnknownUnit { .. })
        ));
    }

    #[test]
    fn overflow_is_refused() {
        assert_eq!(parse_size("18446744073709551615 B"), Ok(u64::MAX));
        assert!(matches!(
            parse_size("18446744073709551616 B"),
            Err(SizeError::Overflow(_))
        ));
        assert!(matches!(
            parse_size("18446744074 GB"),
            Err(SizeError::Overflow(_))
        ));
        assert!(matches!(
            parse_size("99999999999999999999999999999999999999999999 PB"),
            Err(SizeError::Overflow(_))
        ));
    }

    #[test]
    fn huawei_gigabytes() {
        assert_eq!(gb_to_bytes(39.59), Ok(39_590_000_000));
        assert_eq!(gb_to_bytes(0.0), Ok(0));
        assert_eq!(gb_to_bytes(-0.0), Ok(0));
        assert_eq!(gb_to_bytes(500.0), Ok(500 * GB));
        assert_eq!(gb_to_bytes(0.1), Ok(100_000_000));
        assert_eq!(gb_to_bytes(1e-12), Ok(0));
        assert!(matches!(
            gb_to_bytes(f64::NAN),
            Err(SizeError::NotFinite(_))
        ));
        assert!(matches!(
            gb_to_bytes(f64::INFINITY),
            Err(SizeError::NotFinite(_))
        ));
        assert!(matches!(
            gb_to_bytes(f64::NEG_INFINITY),
            Err(SizeError::NotFinite(_))
        ));
        assert!(matches!(gb_to_bytes(-1.0), Err(SizeError::Negative(_))));
        assert!(matches!(
            gb_to_bytes(1e10 * 2.0),
            Err(SizeError::Overflow(_))
        ));
        assert!(matches!(gb_to_bytes(f64::MAX), Err(SizeError::Overflow(_))));
    }

    mod properties {
        use super::super::*;
        use proptest::prelude::*;

        proptest! {
            #[test]
            fn any_text_is_a_size_or_a_typed_refusal(text in any::<String>()) {
                match parse_size(&text) {
                    Ok(_) | Err(_) => {}
                }
            }

            #[test]
            fn size_shaped_text_never_panics(
                text in "[ 0-9.,+-]{0,6}[ ]{0,2}[a-zA-Z]{0,5}[ ]{0,2}"
            ) {
                if let Ok(bytes) = parse_size(&text) {
                    // Whatever was accepted reads back the same after trimming.
                    prop_assert_eq!(parse_size(text.trim()), Ok(bytes));
                }
            }

            #[test]
            fn any_f64_is_bytes_or_a_typed_refusal(value in any::<f64>()) {
                if gb_to_bytes(value).is_ok() {
                    prop_assert!(value.is_finite() && value >= 0.0);
                }
            }

            #[test]
            fn two_decimal_gigabytes_read_back_within_rounding(bytes in 0u64..=u64::MAX / 2) {
                // Hundredths of a GB, rounded half up, written as "N.NN GB".
                let hundredths = (u128::from(bytes) + 5_000_000) / 10_000_000;
                let text = format!("{}.{:02} GB", hundredths / 100, hundredths % 100);
                let parsed = parse_size(&text);
                prop_assert!(parsed.is_ok(), "{text}: {parsed:?}");
                let parsed = parsed.unwrap_or_default();
                prop_assert!(parsed.abs_diff(bytes) <= 5_000_000, "{text} gave {parsed} for {bytes}");
            }

            #[test]
            fn whole_gigabytes_are_exact(gigabytes in 0u64..=18_446_744_073) {
                prop_assert_eq!(parse_size(&format!("{gigabytes} GB")), Ok(gigabytes * BYTES_PER_GB));
                prop_assert_eq!(parse_size(&format!("{gigabytes}gb")), Ok(gigabytes * BYTES_PER_GB));
            }
        }
    }
}
