//! The save-state container: a header that names the format version, the
//! machine and the program the state belongs to, then the machine's own
//! serialised state and a checksum over it.
//!
//! Layout (little endian):
//! `"RJSTATE\x1A"` · version `u16` · machine id (`u8` length + ASCII) ·
//! program hash `u64` · payload length `u32` · payload · FNV-1a-32 of the
//! payload `u32`. The payload is the machine's state in bincode.
//!
//! Loading checks everything before touching the machine, so a foreign,
//! truncated or corrupt file is rejected with the reason and the running
//! machine stays as it was.

use serde::Serialize;
use serde::de::DeserializeOwned;

const MAGIC: &[u8; 8] = b"RJSTATE\x1A";
/// Format version written by this build. Bump it whenever a machine's
/// serialised state changes shape.
pub const VERSION: u16 = 1;

/// Why a state was refused.
#[derive(Clone, PartialEq, Eq, Debug, thiserror::Error)]
pub enum StateError {
    /// The data does not start with the save-state magic.
    #[error("not a retrojit save state (bad magic)")]
    NotAState,
    /// Written by another version of the format.
    #[error("save state format version {found}, this build reads version {VERSION}")]
    Version {
        /// The file's version.
        found: u16,
    },
    /// Made by another machine.
    #[error("save state is for machine `{found}`, not `{expected}`")]
    WrongMachine {
        /// This machine.
        expected: String,
        /// The file's.
        found: String,
    },
    /// Made while running another program.
    #[error("save state belongs to another program (hash {found:016x}, running {expected:016x})")]
    WrongProgram {
        /// Hash of the running program.
        expected: u64,
        /// The file's.
        found: u64,
    },
    /// Shorter than its header says.
    #[error("save state is truncated")]
    Truncated,
    /// The checksum or the payload is wrong.
    #[error("save state is corrupt: {0}")]
    Corrupt(String),
}

/// FNV-1a, 64 bits, fed in pieces: identifies programs (ROM images) in
/// states, and frames and sound in tests.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Fnv1a64(u64);

impl Default for Fnv1a64 {
    fn default() -> Self {
        Self(0xcbf2_9ce4_8422_2325)
    }
}

impl Fnv1a64 {
    /// Adds `data`.
    pub fn update(&mut self, data: &[u8]) {
        for &b in data {
            self.0 = (self.0 ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3);
        }
    }

    /// The hash so far.
    pub fn finish(self) -> u64 {
        self.0
    }
}

/// FNV-1a-64 of `data`.
pub fn fnv1a64(data: &[u8]) -> u64 {
    let mut h = Fnv1a64::default();
    h.update(data);
    h.finish()
}

fn fnv1a32(data: &[u8]) -> u32 {
    data.iter().fold(0x811c_9dc5, |h, &b| {
        (h ^ u32::from(b)).wrapping_mul(0x0100_0193)
    })
}

/// Serialises `state` of machine `machine` running the program with hash
/// `program`.
pub fn encode<T: Serialize>(machine: &str, program: u64, state: &T) -> Vec<u8> {
    let payload = bincode::serialize(state).expect("machine state serialises");
    let mut out = Vec::with_capacity(payload.len() + 64);
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&VERSION.to_le_bytes());
    out.push(u8::try_from(machine.len()).expect("short machine id"));
    out.extend_from_slice(machine.as_bytes());
    out.extend_from_slice(&program.to_le_bytes());
    out.extend_from_slice(
        &u32::try_from(payload.len())
            .expect("state under 4 GiB")
            .to_le_bytes(),
    );
    out.extend_from_slice(&payload);
    out.extend_from_slice(&fnv1a32(&payload).to_le_bytes());
    out
}

/// Checks `data` against the expected machine and program and decodes it.
pub fn decode<T: DeserializeOwned>(
    machine: &str,
    program: u64,
    data: &[u8],
) -> Result<T, StateError> {
    let mut r = Reader { data };
    if r.take(MAGIC.len()).ok() != Some(&MAGIC[..]) {
        return Err(StateError::NotAState);
    }
    let version = u16::from_le_bytes(r.array()?);
    if version != VERSION {
        return Err(StateError::Version { found: version });
    }
    let id_len = usize::from(r.array::<1>()?[0]);
    let id = String::from_utf8_lossy(r.take(id_len)?).into_owned();
    if id != machine {
        return Err(StateError::WrongMachine {
            expected: machine.to_owned(),
            found: id,
        });
    }
    let found = u64::from_le_bytes(r.array()?);
    if found != program {
        return Err(StateError::WrongProgram {
            expected: program,
            found,
        });
    }
    let len = u32::from_le_bytes(r.array()?) as usize;
    let payload = r.take(len)?;
    let checksum = u32::from_le_bytes(r.array()?);
    if checksum != fnv1a32(payload) {
        return Err(StateError::Corrupt("checksum mismatch".into()));
    }
    if !r.data.is_empty() {
        return Err(StateError::Corrupt(format!(
            "{} trailing bytes",
            r.data.len()
        )));
    }
    bincode::deserialize(payload).map_err(|e| StateError::Corrupt(e.to_string()))
}

struct Reader<'a> {
    data: &'a [u8],
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], StateError> {
        if self.data.len() < n {
            return Err(StateError::Truncated);
        }
        let (head, tail) = self.data.split_at(n);
        self.data = tail;
        Ok(head)
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N], StateError> {
        Ok(self.take(N)?.try_into().expect("length checked"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(serde::Serialize, serde::Deserialize, PartialEq, Debug)]
    struct Toy {
        pc: u16,
        ram: Vec<u8>,
    }

    fn toy() -> Toy {
        Toy {
            pc: 0xC000,
            ram: (0..=255).collect(),
        }
    }

    #[test]
    fn round_trips() {
        let bytes = encode("nes", 7, &toy());
        assert_eq!(decode::<Toy>("nes", 7, &bytes), Ok(toy()));
    }

    #[test]
    fn rejects_foreign_and_damaged_states() {
        let bytes = encode("nes", 7, &toy());
        assert_eq!(decode::<Toy>("nes", 7, b"PNG"), Err(StateError::NotAState));
        assert!(matches!(
            decode::<Toy>("zx48", 7, &bytes),
            Err(StateError::WrongMachine { .. })
        ));
        assert!(matches!(
            decode::<Toy>("nes", 8, &bytes),
            Err(StateError::WrongProgram { .. })
        ));
        for cut in [9, 20, bytes.len() - 1] {
            assert_eq!(
                decode::<Toy>("nes", 7, &bytes[..cut]),
                Err(StateError::Truncated)
            );
        }
        let mut flipped = bytes.clone();
        flipped[30] ^= 0x40;
        assert!(matches!(
            decode::<Toy>("nes", 7, &flipped),
            Err(StateError::Corrupt(_))
        ));
        let mut newer = bytes;
        newer[8] = 99;
        assert_eq!(
            decode::<Toy>("nes", 7, &newer),
            Err(StateError::Version { found: 99 })
        );
    }
}
