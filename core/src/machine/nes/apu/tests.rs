//! Behaviour documented by nesdev and blargg's APU tests.

use super::Apu;
use super::length::LENGTH_TABLE;

const RATE: u32 = 48_000;

fn run(apu: &mut Apu, cycles: u64) {
    for _ in 0..cycles {
        apu.tick();
    }
}

/// A settled APU at an even (APU) cycle, so that a $4017 write restarts the
/// sequence 3 cycles later.
fn settled_even() -> Apu {
    let mut apu = Apu::new(RATE);
    let align = apu.cycle % 2;
    run(&mut apu, 10 + align);
    assert_eq!(apu.cycle % 2, 0);
    apu
}

/// Ticks until the frame IRQ flag rises (as seen by a read in the next
/// cycle), up to `limit`.
fn ticks_until_irq(apu: &mut Apu, limit: u64) -> Option<u64> {
    (1..=limit).find(|_| {
        apu.tick();
        apu.irq_line()
    })
}

/// A fresh APU with $4017 = $00 written at an even cycle (the fast jitter
/// case), ticked through `cycles` cycles after the write's own, so that the
/// next access is `cycles` cycles after the write: blargg's numbering, in
/// which the write is at 0 and `lda $4015` reads at the given clock.
fn after_4017_write(value: u8, cycles: u64) -> Apu {
    let mut apu = settled_even();
    apu.write_register(0x4017, value);
    run(&mut apu, cycles);
    apu
}

#[test]
fn frame_irq_rises_at_the_documented_cycle_after_writing_00() {
    // Restart 2 ticks after the write (3 cycles after it, nesdev counting),
    // flag raised 29828 cycles into the sequence: first seen by a read at
    // 29831, as blargg's 6-irq_flag_timing expects.
    let mut apu = settled_even();
    apu.write_register(0x4017, 0x00);
    assert_eq!(ticks_until_irq(&mut apu, 40_000), Some(2 + 29_828 + 1));
    // The next frame: 29830 cycles later.
    apu.read_status();
    run(&mut apu, 3);
    apu.read_status();
    assert_eq!(ticks_until_irq(&mut apu, 40_000), Some(29_830 - 3));
}

#[test]
fn blargg_irq_flag_timing_reads() {
    // "at 29830 flag should be clear"
    assert_eq!(after_4017_write(0, 29_830).read_status() & 0x40, 0);
    // "at 29831 flag should be set"
    assert_eq!(after_4017_write(0, 29_831).read_status() & 0x40, 0x40);
    // "at 29832 read and clear flag; flag should be set again" (the second
    // `lda $4015` reads 4 cycles later)
    let mut apu = after_4017_write(0, 29_832);
    apu.read_status();
    run(&mut apu, 4);
    assert_eq!(apu.read_status() & 0x40, 0x40);
    // "at 29833 read and clear flag; flag shouldn't be set again"
    let mut apu = after_4017_write(0, 29_833);
    assert_eq!(apu.read_status() & 0x40, 0x40);
    run(&mut apu, 4);
    assert_eq!(apu.read_status() & 0x40, 0);
}

#[test]
fn blargg_len_timing_reads() {
    // Pulse 1 loaded with `len` and optionally clocked once by writing $C0,
    // then $4017 = `mode` written at 0; is the length non-zero when $4015 is
    // read at `time`?
    let active_at = |len_index: u8, clock: bool, mode: u8, time: u64| {
        let mut apu = settled_even();
        apu.write_register(0x4015, 0x01);
        apu.write_register(0x4003, len_index << 3);
        run(&mut apu, 2);
        if clock {
            apu.write_register(0x4017, 0xC0);
            run(&mut apu, 6);
        }
        assert_eq!(apu.cycle % 2, 0);
        apu.write_register(0x4017, mode);
        run(&mut apu, time);
        apu.read_status() & 0x01 != 0
    };
    const LEN_2: u8 = 3;
    const LEN_4: u8 = 5;
    // Mode 0: first, second and third length clocks.
    assert!(active_at(LEN_2, true, 0x00, 14_915));
    assert!(!active_at(LEN_2, true, 0x00, 14_916));
    assert!(active_at(LEN_2, false, 0x00, 29_831));
    assert!(!active_at(LEN_2, false, 0x00, 29_832));
    assert!(active_at(LEN_4, true, 0x00, 44_745));
    assert!(!active_at(LEN_4, true, 0x00, 44_746));
    // Mode 1: the write clocks once at once, then the sequence.
    assert!(active_at(LEN_2, false, 0x80, 14_915));
    assert!(!active_at(LEN_2, false, 0x80, 14_916));
    assert!(active_at(LEN_4, true, 0x80, 37_283));
    assert!(!active_at(LEN_4, true, 0x80, 37_284));
}

#[test]
fn blargg_jitter_reads() {
    // $40 then $00 written at 0; $4015 read at `time`.
    let flag_at = |odd: bool, time: u64| {
        let mut apu = settled_even();
        run(&mut apu, u64::from(odd));
        apu.write_register(0x4017, 0x40);
        apu.write_register(0x4017, 0x00);
        run(&mut apu, time);
        apu.read_status() & 0x40 != 0
    };
    for odd in [false, true] {
        assert!(!flag_at(odd, 29_830), "set too soon");
        assert!(flag_at(odd, 29_832), "set too late");
        // get_jitter: the read at 29831 tells the write's parity apart.
        assert_eq!(flag_at(odd, 29_831), !odd);
    }
}

#[test]
fn power_on_and_reset_act_as_a_4017_write_shortly_before() {
    // Power-on: $00, so the frame IRQ rises 29831 cycles after the write,
    // WRITE_LEAD of which have passed.
    let mut apu = Apu::new(RATE);
    let lead = u64::from(Apu::WRITE_LEAD);
    assert_eq!(ticks_until_irq(&mut apu, 40_000), Some(29_831 - lead));
    // Reset rewrites the last value ($00 here) and clears the flag.
    apu.reset();
    assert!(!apu.irq_line());
    let parity_delay = if (apu.cycle - lead) % 2 == 1 { 1 } else { 0 };
    assert_eq!(
        ticks_until_irq(&mut apu, 40_000),
        Some(29_831 + parity_delay - lead)
    );
}

#[test]
fn frame_irq_flag_stays_set_until_read() {
    let mut apu = settled_even();
    apu.write_register(0x4017, 0x00);
    run(&mut apu, 35_000);
    assert!(apu.irq_line());
    // Writing $00 or $80 leaves the flag alone.
    apu.write_register(0x4017, 0x80);
    apu.tick();
    assert!(apu.irq_line());
    assert_eq!(apu.read_status() & 0x40, 0x40);
    assert!(!apu.irq_line());
    assert_eq!(apu.read_status() & 0x40, 0);
}

#[test]
fn write_delay_depends_on_cycle_parity() {
    let mut even = settled_even();
    even.write_register(0x4017, 0x00);
    let mut odd = settled_even();
    odd.tick();
    odd.write_register(0x4017, 0x00);
    let even_ticks = ticks_until_irq(&mut even, 40_000).unwrap();
    let odd_ticks = ticks_until_irq(&mut odd, 40_000).unwrap();
    assert_eq!(odd_ticks, even_ticks + 1);
    // Both restart on the same APU-cycle phase.
    assert_eq!(even.cycle % 2, odd.cycle % 2);
}

#[test]
fn inhibit_prevents_and_clears_the_frame_irq() {
    let mut apu = settled_even();
    apu.write_register(0x4017, 0x40);
    assert_eq!(ticks_until_irq(&mut apu, 100_000), None);
    apu.write_register(0x4017, 0x00);
    run(&mut apu, 30_000);
    assert!(apu.irq_line());
    apu.write_register(0x4017, 0x40);
    assert!(!apu.irq_line(), "setting inhibit clears the flag at once");
    assert_eq!(apu.read_status() & 0x40, 0);
}

#[test]
fn five_step_mode_never_raises_the_frame_irq() {
    let mut apu = settled_even();
    apu.write_register(0x4017, 0x80);
    assert_eq!(ticks_until_irq(&mut apu, 4 * 37_282), None);
    assert_eq!(apu.cycles_until_irq(), None);
}

#[test]
fn length_table_loads_every_entry() {
    let mut apu = settled_even();
    apu.write_register(0x4017, 0x40);
    apu.write_register(0x4015, 0x0F);
    for (index, &expected) in LENGTH_TABLE.iter().enumerate() {
        let load = (index as u8) << 3;
        for base in [0x4000, 0x4004, 0x4008, 0x400C] {
            apu.write_register(base + 3, load);
        }
        apu.tick();
        assert_eq!(apu.pulse1.length.count(), expected);
        assert_eq!(apu.pulse2.length.count(), expected);
        assert_eq!(apu.triangle.length.count(), expected);
        assert_eq!(apu.noise.length.count(), expected);
    }
    // A few well-known entries (nesdev's table).
    assert_eq!(LENGTH_TABLE[0x00], 10);
    assert_eq!(LENGTH_TABLE[0x01], 254);
    assert_eq!(LENGTH_TABLE[0x1F], 30);
}

/// Pulse 1 with length index `index` loaded, and 4-step mode (inhibited)
/// restarted at an even cycle: the restart was 2 ticks after the write, so
/// the sequence is 1 cycle old and the APU is at an even cycle again.
fn pulse1_loaded(control: u8, index: u8) -> Apu {
    let mut apu = settled_even();
    apu.write_register(0x4015, 0x01);
    apu.write_register(0x4000, control);
    apu.write_register(0x4003, index << 3);
    apu.write_register(0x4017, 0x40);
    run(&mut apu, 4);
    apu
}

#[test]
fn length_counts_down_on_half_frames_and_halt_stops_it() {
    // Index 3 loads 2: two half frames (one 4-step sequence) silence it.
    let mut apu = pulse1_loaded(0x00, 3);
    assert_eq!(apu.read_status() & 0x01, 0x01);
    run(&mut apu, 14_913 - 2);
    assert_eq!(apu.pulse1.length.count(), 2);
    apu.tick();
    assert_eq!(apu.pulse1.length.count(), 1);
    run(&mut apu, 29_829 - 14_913);
    assert_eq!(apu.pulse1.length.count(), 0);
    assert_eq!(apu.read_status() & 0x01, 0);

    let mut halted = pulse1_loaded(0x20, 3);
    run(&mut halted, 3 * 29_830);
    assert_eq!(halted.pulse1.length.count(), 2);
    halted.write_register(0x4000, 0x00);
    run(&mut halted, 29_830);
    assert_eq!(halted.pulse1.length.count(), 0);
}

#[test]
fn writing_80_clocks_length_at_once_and_00_does_not() {
    let mut apu = pulse1_loaded(0x00, 0);
    assert_eq!(apu.pulse1.length.count(), 10);
    apu.write_register(0x4017, 0x00);
    run(&mut apu, 10);
    assert_eq!(apu.pulse1.length.count(), 10);
    apu.write_register(0x4017, 0x80);
    run(&mut apu, 4);
    assert_eq!(apu.pulse1.length.count(), 9);
}

#[test]
fn disabled_length_counters_clear_and_ignore_reloads() {
    let mut apu = pulse1_loaded(0x00, 1);
    apu.write_register(0x4015, 0x00);
    assert_eq!(apu.read_status() & 0x01, 0);
    apu.write_register(0x4003, 0x08);
    apu.tick();
    assert_eq!(apu.read_status() & 0x01, 0);
    apu.write_register(0x4015, 0x01);
    apu.write_register(0x4003, 0x08);
    apu.tick();
    assert_eq!(apu.read_status() & 0x01, 0x01);
}

#[test]
fn reload_in_the_cycle_of_a_length_clock() {
    // Restart 4-step mode at an even cycle: the first half frame is in the
    // write's 14916th tick (3 + 14913).
    let setup = |index: u8| {
        let mut apu = pulse1_loaded(0x00, index);
        apu.write_register(0x4017, 0x00);
        run(&mut apu, 2 + 14_913);
        apu
    };
    // Non-zero counter: the clock wins and the reload is dropped.
    let mut apu = setup(0);
    apu.write_register(0x4003, 0x01 << 3);
    apu.tick();
    assert_eq!(apu.pulse1.length.count(), 9);
    // One cycle later the reload goes through.
    let mut apu = setup(0);
    apu.tick();
    apu.write_register(0x4003, 0x01 << 3);
    apu.tick();
    assert_eq!(apu.pulse1.length.count(), 254);
    // Zero counter: the clock does nothing and the reload goes through.
    let mut apu = settled_even();
    apu.write_register(0x4015, 0x01);
    apu.write_register(0x4017, 0x00);
    run(&mut apu, 2 + 14_913);
    apu.write_register(0x4003, 0x01 << 3);
    apu.tick();
    assert_eq!(apu.pulse1.length.count(), 254);
}

#[test]
fn halt_written_in_the_cycle_of_a_length_clock_acts_after_it() {
    let mut apu = pulse1_loaded(0x20, 0);
    apu.write_register(0x4017, 0x00);
    run(&mut apu, 2 + 14_913);
    apu.write_register(0x4000, 0x00);
    apu.tick();
    assert_eq!(apu.pulse1.length.count(), 10, "the clock saw halt set");

    let mut apu = pulse1_loaded(0x00, 0);
    apu.write_register(0x4017, 0x00);
    run(&mut apu, 2 + 14_913);
    apu.write_register(0x4000, 0x20);
    apu.tick();
    assert_eq!(apu.pulse1.length.count(), 9, "the clock saw halt clear");
}

#[test]
fn status_bits() {
    let mut apu = settled_even();
    apu.write_register(0x4017, 0x00);
    assert_eq!(apu.read_status(), 0);
    apu.write_register(0x4015, 0x1F);
    apu.write_register(0x4003, 0x08);
    apu.write_register(0x4007, 0x08);
    apu.write_register(0x400B, 0x08);
    apu.write_register(0x400F, 0x08);
    apu.write_register(0x4010, 0x80);
    run(&mut apu, 3);
    assert_eq!(apu.read_status(), 0x1F);
    // Fetch the one-byte sample: bit 4 drops, the DMC IRQ (bit 7) rises.
    assert_eq!(apu.dmc_dma_request(), Some(0xC000));
    apu.dmc_dma_complete(0x55);
    run(&mut apu, 30_000);
    assert_eq!(apu.read_status(), 0xCF);
    // The read cleared only the frame flag; writing $4015 clears the DMC one.
    assert_eq!(apu.read_status(), 0x8F);
    apu.write_register(0x4015, 0x00);
    assert_eq!(apu.read_status(), 0x00);
    assert!(!apu.irq_line());
}

/// Collects DMA requests for `cycles`, answering each at once, and returns
/// the cycles (since the start) and addresses of the requests.
fn serve_dma(apu: &mut Apu, cycles: u64) -> Vec<(u64, u16)> {
    let mut fetches = Vec::new();
    for cycle in 0..cycles {
        if let Some(addr) = apu.dmc_dma_request() {
            fetches.push((cycle, addr));
            apu.dmc_dma_complete(addr as u8);
        }
        apu.tick();
    }
    fetches
}

#[test]
fn dmc_fetches_at_its_rate_and_raises_its_irq_at_the_end() {
    let mut apu = settled_even();
    apu.write_register(0x4017, 0x40);
    apu.write_register(0x4010, 0x8F); // IRQ on, no loop, rate 15: 54 cycles
    apu.write_register(0x4012, 0x01); // $C040
    apu.write_register(0x4013, 0x01); // 17 bytes
    apu.write_register(0x4015, 0x10);
    assert_eq!(apu.read_status() & 0x10, 0x10);
    let fetches = serve_dma(&mut apu, 17 * 8 * 54 + 1000);
    assert_eq!(fetches.len(), 17);
    let addresses: Vec<u16> = fetches.iter().map(|&(_, a)| a).collect();
    assert_eq!(addresses, (0xC040..0xC051).collect::<Vec<u16>>());
    assert_eq!(fetches[0].0, 2, "2 cycles after the write on an APU cycle");
    for pair in fetches[1..].windows(2) {
        assert_eq!(pair[1].0 - pair[0].0, 8 * 54, "one byte per 8 output bits");
    }
    assert!(apu.irq_line());
    assert_eq!(apu.read_status() & 0x90, 0x80);
    // Writing $4010 with IRQ disabled acknowledges the interrupt.
    apu.write_register(0x4010, 0x0F);
    assert!(!apu.irq_line());
}

#[test]
fn dmc_first_fetch_waits_2_or_3_cycles_after_the_4015_write() {
    for odd in [false, true] {
        let mut apu = settled_even();
        if odd {
            apu.tick();
        }
        apu.write_register(0x4015, 0x10);
        let delay = if odd { 3 } else { 2 };
        for _ in 0..delay {
            assert_eq!(apu.dmc_dma_request(), None);
            apu.tick();
        }
        assert_eq!(apu.dmc_dma_request(), Some(0xC000));
    }
}

#[test]
fn dmc_address_wraps_to_8000_and_loops_without_irq() {
    let mut apu = settled_even();
    apu.write_register(0x4017, 0x40);
    apu.write_register(0x4010, 0xCF); // IRQ on, loop
    apu.write_register(0x4012, 0xFF); // $FFC0
    apu.write_register(0x4013, 0x04); // 65 bytes
    apu.write_register(0x4015, 0x10);
    let fetches = serve_dma(&mut apu, 70 * 8 * 54);
    assert_eq!(fetches[63].1, 0xFFFF);
    assert_eq!(fetches[64].1, 0x8000);
    assert_eq!(fetches[65].1, 0xFFC0, "looped back to the start");
    assert!(!apu.irq_line());
    assert_eq!(apu.read_status() & 0x10, 0x10);
}

#[test]
fn dmc_restarts_only_when_finished_and_direct_load_sets_level() {
    let mut apu = settled_even();
    apu.write_register(0x4013, 0x00);
    apu.write_register(0x4015, 0x10);
    apu.write_register(0x4012, 0x10);
    // Still one byte remaining: enabling again does not restart.
    apu.write_register(0x4015, 0x10);
    run(&mut apu, 3);
    assert_eq!(apu.dmc_dma_request(), Some(0xC000));
    apu.dmc_dma_complete(0);
    apu.write_register(0x4015, 0x10);
    assert_eq!(apu.read_status() & 0x10, 0x10);
    assert_eq!(apu.dmc.bytes_remaining(), 1);
    apu.write_register(0x4011, 0xFF);
    assert_eq!(apu.dmc.output(), 0x7F);
    // A delivery nobody asked for is ignored.
    let mut idle = Apu::new(RATE);
    idle.dmc_dma_complete(1);
    assert_eq!(idle.dmc_dma_request(), None);
}

#[test]
fn about_rate_over_60_samples_per_frame() {
    for rate in [44_100, 48_000, 96_000] {
        let mut apu = Apu::new(rate);
        let mut out = Vec::new();
        let mut total = 0;
        for frame in 1..=120u64 {
            let target = (frame as f64 * Apu::CPU_HZ / 60.0) as u64;
            let done = apu.cycle;
            run(&mut apu, target - done);
            out.clear();
            apu.take_samples(&mut out);
            let expected = f64::from(rate) / 60.0;
            assert!((out.len() as f64 - expected).abs() <= 1.0, "{}", out.len());
            total += out.len();
        }
        assert!((total as f64 - 2.0 * f64::from(rate)).abs() <= 1.0);
    }
}

#[test]
fn silence_is_zero_once_the_high_pass_settles() {
    let mut apu = Apu::new(RATE);
    // A DC level from the DMC is removed by the high-pass filters too.
    apu.write_register(0x4011, 0x40);
    run(&mut apu, Apu::CPU_HZ as u64 / 2);
    let mut out = Vec::new();
    apu.take_samples(&mut out);
    out.clear();
    run(&mut apu, Apu::CPU_HZ as u64 / 10);
    apu.take_samples(&mut out);
    assert!(!out.is_empty());
    assert!(out.iter().all(|&s| s == 0), "{:?}", &out[..10]);
}

#[test]
fn a_440_hz_pulse_has_the_right_period() {
    let mut apu = Apu::new(RATE);
    apu.write_register(0x4015, 0x01);
    apu.write_register(0x4000, 0xBF); // 50% duty, halt, constant volume 15
    // CPU_HZ / (16 * (253 + 1)) = 440.4 Hz
    apu.write_register(0x4002, 253);
    apu.write_register(0x4003, 0x00);
    run(&mut apu, Apu::CPU_HZ as u64);
    let mut out = Vec::new();
    apu.take_samples(&mut out);
    let tail = &out[out.len() / 10..];
    let rising = tail.windows(2).filter(|w| w[0] < 0 && w[1] >= 0).count();
    let seconds = tail.len() as f64 / f64::from(RATE);
    let hz = rising as f64 / seconds;
    assert!((hz - 440.4).abs() < 3.0, "{hz} Hz");
    let peak = tail.iter().map(|s| s.unsigned_abs()).max().unwrap();
    assert!(peak > 1_000, "audible: {peak}");
}

#[test]
fn loudest_output_does_not_clip() {
    let mut apu = Apu::new(RATE);
    apu.write_register(0x4015, 0x0F);
    for (base, control) in [(0x4000, 0xBF), (0x4004, 0xBF), (0x400C, 0x3F)] {
        apu.write_register(base, control);
        apu.write_register(base + 2, 0xFD);
        apu.write_register(base + 3, 0x00);
    }
    apu.write_register(0x4008, 0xFF);
    apu.write_register(0x400A, 0xFD);
    apu.write_register(0x400B, 0x00);
    let mut out = Vec::new();
    for level in [0x7F, 0x00, 0x7F] {
        apu.write_register(0x4011, level);
        run(&mut apu, 200_000);
    }
    apu.take_samples(&mut out);
    assert!(out.iter().all(|&s| s != i16::MAX && s != i16::MIN));
}

/// A small deterministic generator for the property test.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u32 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 33) as u32
    }
}

#[test]
fn irq_never_rises_before_cycles_until_irq_promised() {
    const REGISTERS: [u16; 8] = [
        0x4017, 0x4017, 0x4015, 0x4010, 0x4012, 0x4013, 0x4003, 0x4000,
    ];
    let mut rng = Lcg(0x2A03);
    let mut apu = Apu::new(RATE);
    let mut rises = 0;
    for _ in 0..400 {
        // A burst of writes, then a quiet stretch of random length.
        for _ in 0..(rng.next() % 3) {
            let addr = REGISTERS[rng.next() as usize % REGISTERS.len()];
            let mut value = rng.next() as u8;
            if addr == 0x4013 {
                value &= 0x03; // short samples reach their end more often
            }
            apu.write_register(addr, value);
        }
        if rng.next().is_multiple_of(2) {
            apu.read_status();
        }
        // Deadline: the latest cycle promised so far in this quiet stretch
        // (u64::MAX for "never").
        let mut deadline = 0;
        let quiet = u64::from(rng.next() % 70_000);
        for now in 0..quiet {
            let was = apu.irq_line();
            if !was {
                let promise = apu.cycles_until_irq().map_or(u64::MAX, |n| now + n);
                deadline = deadline.max(promise);
            }
            if let Some(addr) = apu.dmc_dma_request()
                && rng.next().is_multiple_of(4)
            {
                apu.dmc_dma_complete(addr as u8);
            }
            apu.tick();
            if !was && apu.irq_line() {
                rises += 1;
                assert!(now + 1 >= deadline, "rose at {} before {deadline}", now + 1);
                deadline = 0;
                if rng.next().is_multiple_of(2) {
                    apu.read_status();
                    apu.write_register(0x4015, rng.next() as u8 & 0x1F);
                }
            }
        }
    }
    assert!(rises > 50, "the test exercised the interrupt: {rises}");
}

#[test]
fn reset_silences_and_rewrites_4017() {
    let mut apu = settled_even();
    apu.write_register(0x4017, 0x80);
    apu.write_register(0x4015, 0x0F);
    apu.write_register(0x4003, 0x08);
    apu.write_register(0x4011, 0x43);
    run(&mut apu, 5);
    apu.reset();
    assert_eq!(apu.read_status() & 0x1F, 0);
    assert_eq!(apu.dmc.output(), 1);
    assert_eq!(ticks_until_irq(&mut apu, 4 * 37_282), None, "still 5-step");
    let state = bincode::serialize(&apu).unwrap();
    let copy: Apu = bincode::deserialize(&state).unwrap();
    assert_eq!(bincode::serialize(&copy).unwrap(), state);
}

#[test]
fn every_register_value_is_accepted() {
    let mut apu = Apu::new(RATE);
    for addr in 0x4000..=0x4017u16 {
        for value in 0..=255u8 {
            apu.write_register(addr, value);
            apu.tick();
            if let Some(a) = apu.dmc_dma_request() {
                apu.dmc_dma_complete(a as u8);
            }
        }
    }
    apu.read_status();
    apu.set_sample_rate(0);
    run(&mut apu, 100);
}
