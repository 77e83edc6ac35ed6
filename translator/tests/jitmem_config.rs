//! Region configuration and carving limits. Its own test binary, hence its
//! own process and region: this is the only test that configures it, and
//! the steps depend on each other, so it is one test.

use retrojit_translator::jitmem::{self, Arena, JitMemError, MAX_ARENAS, MAX_REGION_SIZE};

#[test]
fn region_is_configured_once_then_carved_and_recycled() {
    assert_eq!(
        jitmem::configure_region(0),
        Err(JitMemError::InvalidRegionSize { requested: 0 })
    );
    let too_big = MAX_REGION_SIZE + 1;
    assert_eq!(
        jitmem::configure_region(too_big),
        Err(JitMemError::InvalidRegionSize { requested: too_big })
    );
    jitmem::configure_region(MAX_REGION_SIZE).unwrap();
    assert_eq!(jitmem::region_size(), MAX_REGION_SIZE);

    // Two halves fill the region.
    let half = MAX_REGION_SIZE / 2;
    let first = Arena::new(half).unwrap();
    let second = Arena::new(half).unwrap();
    assert!(matches!(Arena::new(1), Err(JitMemError::RegionFull { .. })));
    assert_eq!(
        jitmem::configure_region(1 << 20),
        Err(JitMemError::AlreadyReserved)
    );

    // Dropping returns the range; adjacent free ranges merge again.
    drop(first);
    let third = Arena::new(half).unwrap();
    drop(second);
    drop(third);
    let whole = Arena::new(MAX_REGION_SIZE).unwrap();
    drop(whole);

    // One slot per arena: the 257th live arena is refused.
    let mut small: Vec<Arena> = (0..MAX_ARENAS).map(|_| Arena::new(1).unwrap()).collect();
    assert_eq!(Arena::new(1).err(), Some(JitMemError::TooManyArenas));
    small.truncate(MAX_ARENAS / 2);
    let more: Vec<Arena> = (0..MAX_ARENAS / 2)
        .map(|_| Arena::new(1).unwrap())
        .collect();
    drop(small);
    drop(more);
    Arena::new(MAX_REGION_SIZE).unwrap();
}
