//! Numbers as users type them for guest addresses and counts:
//! `0x1F00`, `$1F00`, `1f00h` (hex) or `7936` (decimal), `_` allowed as a separator.

/// A number that could not be read.
#[derive(Clone, PartialEq, Eq, Debug, thiserror::Error)]
pub enum ParseNumberError {
    /// Not a number in any accepted syntax.
    #[error("`{0}` is not a number (use 1234, 0x4D2, $4D2 or 4D2h)")]
    Syntax(String),
    /// A number that exceeds the field's range.
    #[error("`{text}` is out of range (at most {max:#X})")]
    Range {
        /// What was typed.
        text: String,
        /// The largest allowed value.
        max: u64,
    },
}

/// Parses an unsigned number no larger than `max`.
pub fn parse_number(text: &str, max: u64) -> Result<u64, ParseNumberError> {
    let clean: String = text.trim().chars().filter(|&c| c != '_').collect();
    let (digits, radix) = if let Some(hex) = clean
        .strip_prefix("0x")
        .or_else(|| clean.strip_prefix("0X"))
        .or_else(|| clean.strip_prefix('$'))
    {
        (hex, 16)
    } else if let Some(hex) = clean.strip_suffix(['h', 'H']) {
        (hex, 16)
    } else {
        (clean.as_str(), 10)
    };
    let syntax = || ParseNumberError::Syntax(text.to_owned());
    if digits.is_empty() || !digits.chars().all(|c| c.is_digit(radix)) {
        return Err(syntax());
    }
    let value = u64::from_str_radix(digits, radix).map_err(|_| ParseNumberError::Range {
        text: text.to_owned(),
        max,
    })?;
    if value > max {
        return Err(ParseNumberError::Range {
            text: text.to_owned(),
            max,
        });
    }
    Ok(value)
}

/// Parses a 16-bit guest address.
pub fn parse_address(text: &str) -> Result<u16, ParseNumberError> {
    parse_number(text, u64::from(u16::MAX)).map(|v| v as u16)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_every_documented_syntax() {
        for text in ["0x3469", "0X3469", "$3469", "3469h", "13417", "13_417"] {
            assert_eq!(parse_address(text), Ok(0x3469), "{text}");
        }
    }

    #[test]
    fn rejects_garbage_and_overflow() {
        for text in ["", "0x", "$", "12a", "0xZZ", "-1", "h"] {
            assert!(
                matches!(parse_address(text), Err(ParseNumberError::Syntax(_))),
                "{text}"
            );
        }
        assert!(matches!(
            parse_address("0x10000"),
            Err(ParseNumberError::Range { .. })
        ));
        assert!(matches!(
            parse_number("99999999999999999999999", u64::MAX),
            Err(ParseNumberError::Range { .. })
        ));
    }
}
