//! The ZX Spectrum 48K as a [`Machine`]: a Z80 at 3.5 MHz, 16 KiB of ROM,
//! 48 KiB of RAM, the ULA, the keyboard, a Kempston joystick, the beeper
//! and the tape.
//!
//! - A frame is exactly 69888 T-states from the T-state /INT goes low; the
//!   instruction running at the end of a frame finishes and its overshoot
//!   counts towards the next frame. The interrupt data bus reads $FF.
//! - Contention is applied in [`BusZ80::wait_states`] for every machine
//!   cycle and internal T-state (see [`ula`]).
//! - Port $FE: writes set the border (bits 0-2), MIC (3) and EAR (4); reads
//!   return the keyboard half-rows selected by A8-A15 in bits 0-4, bits 5
//!   and 7 set, and in bit 6 the tape when one plays in real time, else the
//!   EAR bit last written (issue 3 board). Odd ports with A5-A7 low are the
//!   Kempston joystick; other odd ports read the floating bus.
//! - Tapes load instantly by trapping the ROM loader (see [`LD_START`]) or
//!   in real time through EAR; the tape is heard only through what the
//!   program itself writes to the speaker.
//! - Text capture: every time execution reaches $0010 (RST $10, PRINT-A)
//!   the character in A is recorded. The ROM also prints some characters
//!   through PRINT-A-2 ($15F2) directly (report codes, line numbers): those
//!   are not captured.
//! - Save states hold the CPU, RAM, ULA, input and beeper; the inserted
//!   tape is media and is left as it is by loading a state.
//! - The CPU runs on the interpreter, or on an engine given with
//!   [`Zx48::set_engine`] (the JIT): memory is a [`MappedMemory`] whose
//!   page table maps the ROM, routes the contended pages ($4000-$7FFF:
//!   screen, wait states) to I/O so translated code leaves them to the
//!   interpreter, and maps the upper RAM plainly. The engine runs between
//!   the machine's traps and never past the frame's end.

use super::beeper::{Beeper, CLOCK};
use super::keyboard::{Keyboard, kempston};
use super::media::{Snapshot, Tape, TapePlayer};
use super::ula::{self, FRAME_TSTATES, HEIGHT, INT_TSTATES, Video, WIDTH};
use crate::bus::{BusZ80, MappedBus, MappedMemory, PageEntry, Z80Cycle};
use crate::cpu::z80::{Cpu, Registers};
use crate::engine::{EngineZ80, Z80Limits, Z80StopReason};
use crate::machine::state::{self, StateError, fnv1a64};
use crate::machine::{FrameReport, InputState, Machine, MachineError};
use serde::{Deserialize, Serialize};
use std::collections::VecDeque;

/// Frames per second: the CPU clock over 69888 T-states a frame.
pub const FRAME_RATE: f64 = CLOCK as f64 / FRAME_TSTATES as f64;
/// Size of the ROM.
pub const ROM_SIZE: usize = 0x4000;
/// The save-state machine id.
const STATE_ID: &str = "zx48";
/// The instant-load trap: LD-START ($056C) in the ROM's LD-BYTES routine
/// ($0556), the loop that waits for the first edge of a block. By then
/// LD-BYTES has saved the expected flag byte and LOAD/VERIFY carry in AF',
/// disabled interrupts and pushed SA/LD-RET; and the loop keeps coming back
/// here, so a tape inserted while the ROM already waits still loads.
pub const LD_START: u16 = 0x056C;
/// RST $10, PRINT-A: the character in A goes to the current channel.
const PRINT_A: u16 = 0x0010;

/// Why a Spectrum could not be built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Zx48Error {
    /// The ROM image has the wrong size.
    #[error("a ZX Spectrum 48K ROM is exactly 16384 bytes, this one is {0} bytes")]
    RomSize(usize),
}

/// The Z80's bus: memory, the ULA and the devices on its ports.
#[derive(Clone, Debug)]
pub struct Zx48Bus {
    /// ROM at $0000-$3FFF, RAM at $4000-$FFFF, byte `addr` at offset
    /// `addr`; see the module docs for the page table.
    mem: MappedMemory,
    /// The absolute T-state the current frame started at.
    frame_start: u64,
    /// The CPU's T-state before the instruction being executed: /INT is
    /// sampled against it.
    cpu_time: u64,
    /// Frame T-state at which the pending port write reaches the device.
    write_offset: u32,
    /// The last value written to port $FE.
    fe: u8,
    video: Video,
    keyboard: Keyboard,
    kempston: u8,
    beeper: Beeper,
    /// The picture, RGBA.
    rgba: Vec<u8>,
    /// The tape playing in real time, if any.
    player: Option<TapePlayer>,
}

/// The Spectrum's page table: ROM, contended RAM routed to I/O (for
/// translated code; the bus itself reads and writes every byte), RAM.
fn zx48_memory(rom: &[u8]) -> MappedMemory {
    let mut mem = MappedMemory::new(0x10000);
    mem.data_mut()[..ROM_SIZE].copy_from_slice(rom);
    for page in 0..=0xFFu8 {
        let offset = u32::from(page) << 8;
        let entry = match page {
            0x00..=0x3F => PageEntry::rom(offset),
            0x40..=0x7F => PageEntry::io(),
            _ => PageEntry::ram(offset),
        };
        mem.map(page, entry);
    }
    mem
}

/// The whole address space as the ULA reads it.
#[inline(always)]
fn address_space(mem: &MappedMemory) -> &[u8; 0x10000] {
    mem.data()
        .try_into()
        .expect("the Spectrum's memory is 64 KiB")
}

impl Zx48Bus {
    /// The 64 KiB address space.
    #[inline(always)]
    fn bytes(&self) -> &[u8; 0x10000] {
        address_space(&self.mem)
    }

    #[inline(always)]
    fn bytes_mut(&mut self) -> &mut [u8] {
        self.mem.data_mut()
    }

    #[inline(always)]
    fn frame_t(&self, now: u64) -> u32 {
        // A frame's last instruction may run past its end: those T-states
        // are next frame's top border, outside every ULA table. Clamping to
        // two frames keeps a clock set by hand from overflowing the sums.
        now.saturating_sub(self.frame_start)
            .min(2 * u64::from(FRAME_TSTATES)) as u32
    }

    /// Draws the picture up to absolute T-state `now`.
    fn render_to(&mut self, now: u64) {
        let t = self.frame_t(now);
        self.video
            .render_to(t, address_space(&self.mem), &mut self.rgba);
    }
}

impl BusZ80 for Zx48Bus {
    #[inline(always)]
    fn fetch_opcode(&mut self, addr: u16, _refresh: u16, _now: u64) -> u8 {
        self.mem.data()[usize::from(addr)]
    }

    #[inline(always)]
    fn read(&mut self, addr: u16, _now: u64) -> u8 {
        self.mem.data()[usize::from(addr)]
    }

    #[inline(always)]
    fn write(&mut self, addr: u16, value: u8, now: u64) {
        if addr >= 0x4000 {
            if addr < 0x5B00 {
                // Screen memory: draw what the beam showed before the write.
                self.render_to(now);
            }
            self.bytes_mut()[usize::from(addr)] = value;
        }
    }

    fn port_in(&mut self, port: u16, now: u64) -> u8 {
        // The Z80 samples the data bus in the cycle's last T-state.
        let sample = now + 3;
        if port & 1 == 0 {
            let ear = match self.player.as_mut() {
                Some(player) => player.ear(sample),
                // Issue 3 boards: with no signal, bit 6 follows the EAR bit written.
                None => self.fe & 0x10 != 0,
            };
            (self.keyboard.read((port >> 8) as u8) & 0xBF) | if ear { 0x40 } else { 0 }
        } else if port & 0xE0 == 0 {
            self.kempston
        } else {
            ula::floating_bus(self.bytes(), self.frame_t(sample))
        }
    }

    fn port_out(&mut self, port: u16, value: u8, _now: u64) {
        if port & 1 == 0 {
            let at = self.frame_start + u64::from(self.write_offset);
            let border = value & 7;
            if border != self.video.border {
                self.render_to(at);
                self.video.border = border;
            }
            self.beeper.set_level(at, Beeper::level_of(value));
            self.fe = value;
        }
    }

    #[inline(always)]
    fn wait_states(&mut self, kind: Z80Cycle, addr: u16, now: u64) -> u32 {
        match kind {
            Z80Cycle::OpcodeFetch | Z80Cycle::MemRead | Z80Cycle::MemWrite | Z80Cycle::Internal => {
                if ula::contended(addr) {
                    ula::contention(self.frame_t(now))
                } else {
                    0
                }
            }
            Z80Cycle::PortIn | Z80Cycle::PortOut => {
                let t = self.frame_t(now);
                let (waits, write_at) = ula::io_contention(addr, t);
                self.write_offset = t + write_at;
                waits
            }
            // The acknowledge happens in the top border, never contended.
            Z80Cycle::InterruptAck => 0,
        }
    }

    #[inline(always)]
    fn int_line(&self) -> bool {
        self.cpu_time.saturating_sub(self.frame_start) < u64::from(INT_TSTATES)
    }

    #[inline(always)]
    fn instruction_start(&mut self, now: u64) {
        self.cpu_time = now;
    }

    #[inline(always)]
    fn contended_page(&self, page: u8) -> bool {
        ula::contended(u16::from(page) << 8)
    }
}

impl MappedBus for Zx48Bus {
    fn memory(&self) -> &MappedMemory {
        &self.mem
    }

    fn memory_mut(&mut self) -> &mut MappedMemory {
        &mut self.mem
    }
}

/// The engine a [`Zx48`] runs its CPU on when not the interpreter.
pub type Zx48Engine = Box<dyn EngineZ80<Zx48Bus>>;

/// Holds the optional engine (trait objects have no `Debug`).
#[derive(Default)]
struct EngineSlot(Option<Zx48Engine>);

impl std::fmt::Debug for EngineSlot {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(if self.0.is_some() {
            "engine"
        } else {
            "interpreter"
        })
    }
}

/// The Z80 registers as a save state stores them.
#[derive(Serialize, Deserialize)]
struct RegsState {
    tstates: u64,
    main: [u8; 8],
    ix: u16,
    iy: u16,
    sp: u16,
    pc: u16,
    wz: u16,
    alt: [u16; 4],
    i: u8,
    r: u8,
    im: u8,
    flags: [bool; 6],
    q: u8,
}

impl From<&Registers> for RegsState {
    fn from(r: &Registers) -> Self {
        Self {
            tstates: r.tstates,
            main: [r.c, r.b, r.e, r.d, r.l, r.h, r.f, r.a],
            ix: r.ix,
            iy: r.iy,
            sp: r.sp,
            pc: r.pc,
            wz: r.wz,
            alt: [r.bc_alt, r.de_alt, r.hl_alt, r.af_alt],
            i: r.i,
            r: r.r,
            im: r.im,
            flags: [r.iff1, r.iff2, r.halted, r.ei, r.p, false],
            q: r.q,
        }
    }
}

impl From<&RegsState> for Registers {
    fn from(s: &RegsState) -> Self {
        let [c, b, e, d, l, h, f, a] = s.main;
        let [bc_alt, de_alt, hl_alt, af_alt] = s.alt;
        let [iff1, iff2, halted, ei, p, _] = s.flags;
        Self {
            tstates: s.tstates,
            c,
            b,
            e,
            d,
            l,
            h,
            f,
            a,
            ix: s.ix,
            iy: s.iy,
            sp: s.sp,
            pc: s.pc,
            wz: s.wz,
            bc_alt,
            de_alt,
            hl_alt,
            af_alt,
            i: s.i,
            r: s.r,
            im: s.im,
            iff1,
            iff2,
            halted,
            ei,
            p,
            q: s.q,
        }
    }
}

/// What a save state holds. The inserted tape is media, not machine state:
/// loading a state leaves it as it is.
#[derive(Serialize, Deserialize)]
struct SavedState {
    regs: RegsState,
    ram: Vec<u8>,
    frame_start: u64,
    fe: u8,
    video: Video,
    keyboard: Keyboard,
    kempston: u8,
    beeper: Beeper,
}

/// A ZX Spectrum 48K (issue 3 board) with a Kempston joystick interface.
#[derive(Debug)]
pub struct Zx48 {
    cpu: Cpu,
    bus: Zx48Bus,
    /// Hash of the ROM: save states must match it.
    program: u64,
    sample_rate: u32,
    instructions: u64,
    /// Blocks left on the tape inserted for instant loading.
    tape: VecDeque<Vec<u8>>,
    /// Characters sent to RST $10 since the last [`Zx48::take_printed`].
    printed: Vec<u8>,
    /// The engine, when not the interpreter.
    engine: EngineSlot,
}

impl Zx48 {
    /// Powers on a Spectrum with the 16 KiB ROM image `rom`, producing
    /// audio at `sample_rate` samples per second.
    pub fn new(rom: &[u8], sample_rate: u32) -> Result<Self, Zx48Error> {
        if rom.len() != ROM_SIZE {
            return Err(Zx48Error::RomSize(rom.len()));
        }
        let mem = zx48_memory(rom);
        let mut cpu = Cpu::new();
        power_on(&mut cpu.regs, 0);
        Ok(Self {
            cpu,
            bus: Zx48Bus {
                mem,
                frame_start: 0,
                cpu_time: 0,
                write_offset: 0,
                fe: 0,
                video: Video::default(),
                keyboard: Keyboard::default(),
                kempston: 0,
                beeper: Beeper::new(sample_rate, 0),
                rgba: vec![0; WIDTH * HEIGHT * 4],
                player: None,
            },
            program: fnv1a64(rom),
            sample_rate,
            instructions: 0,
            tape: VecDeque::new(),
            printed: Vec::new(),
            engine: EngineSlot::default(),
        })
    }

    /// Runs the CPU on `engine` from now on.
    pub fn set_engine(&mut self, engine: Zx48Engine) {
        self.engine = EngineSlot(Some(engine));
    }

    /// The engine, if one was set.
    pub fn engine(&self) -> Option<&dyn EngineZ80<Zx48Bus>> {
        self.engine.0.as_deref()
    }

    /// Memory changed behind the CPU's back: the engine drops what it
    /// derived from it.
    fn memory_replaced(&mut self) {
        if let Some(engine) = self.engine.0.as_mut() {
            engine.forget_code();
        }
    }

    /// The CPU.
    pub fn cpu(&self) -> &Cpu {
        &self.cpu
    }

    /// The CPU, writable (tests, debuggers).
    pub fn cpu_mut(&mut self) -> &mut Cpu {
        &mut self.cpu
    }

    /// The bus.
    pub fn bus(&self) -> &Zx48Bus {
        &self.bus
    }

    /// The bus, writable: run the CPU on it with [`Cpu::step`].
    pub fn bus_mut(&mut self) -> &mut Zx48Bus {
        &mut self.bus
    }

    /// The 64 KiB address space: ROM then RAM.
    pub fn memory(&self) -> &[u8] {
        self.bus.mem.data()
    }

    /// Writes `bytes` to RAM at `addr` (writes to the ROM are ignored).
    pub fn poke(&mut self, addr: u16, bytes: &[u8]) {
        for (offset, &b) in bytes.iter().enumerate() {
            let at = usize::from(addr) + offset;
            if (ROM_SIZE..0x10000).contains(&at) {
                self.bus.bytes_mut()[at] = b;
            }
        }
        self.memory_replaced();
    }

    /// The border colour (0-7).
    pub fn border(&self) -> u8 {
        self.bus.video.border
    }

    /// The absolute T-state the current frame started at.
    pub fn frame_start(&self) -> u64 {
        self.bus.frame_start
    }

    /// Takes the characters the ROM printed through RST $10 (PRINT-A)
    /// since the last call: control codes and tokens are passed as is.
    pub fn take_printed(&mut self) -> Vec<u8> {
        std::mem::take(&mut self.printed)
    }

    /// Inserts `tape`, replacing any other. Instant mode loads each data
    /// block the moment the ROM's LD-BYTES ($0556) waits for it (see
    /// [`LD_START`]); real-time mode
    /// plays the tape into EAR (port $FE bit 6) from now on and lets the
    /// ROM, or a custom loader, read it.
    pub fn insert_tape(&mut self, tape: Tape, realtime: bool) {
        if realtime {
            self.tape.clear();
            let mut player = TapePlayer::new(tape);
            player.play(self.cpu.regs.tstates);
            self.bus.player = Some(player);
        } else {
            self.bus.player = None;
            // Blocks without data only shape the signal (pauses, tones).
            self.tape = tape
                .blocks
                .into_iter()
                .map(|b| b.data)
                .filter(|data| !data.is_empty())
                .collect();
        }
    }

    /// Whether a tape is playing in real time and has not finished.
    pub fn tape_playing(&self) -> bool {
        self.bus.player.as_ref().is_some_and(|p| !p.finished())
    }

    /// Blocks left on the instant-load tape.
    pub fn tape_blocks_left(&self) -> usize {
        self.tape.len()
    }

    /// Loads a snapshot: registers, RAM and border. The machine's clock
    /// keeps running, so the registers' T-state counter is not taken.
    pub fn load_snapshot(&mut self, snapshot: &Snapshot) {
        let tstates = self.cpu.regs.tstates;
        self.cpu = Cpu::new();
        self.cpu.regs = snapshot.regs;
        self.cpu.regs.tstates = tstates;
        let ram = &mut self.bus.bytes_mut()[ROM_SIZE..];
        let n = snapshot.ram.len().min(ram.len());
        ram[..n].copy_from_slice(&snapshot.ram[..n]);
        ram[n..].fill(0);
        self.bus.video.border = snapshot.border & 7;
        self.redraw();
        self.memory_replaced();
    }

    fn redraw(&mut self) {
        let bus = &mut self.bus;
        bus.video.redraw(address_space(&bus.mem), &mut bus.rgba);
    }

    /// Executes one instruction (or accepts an interrupt, or runs the
    /// instant-load trap) wherever the frame is; [`Machine::run_frame`]
    /// calls it until the frame's last T-state. Returns whether the CPU ran
    /// (false when the trap replaced the instruction).
    pub fn step(&mut self) -> bool {
        let regs = &self.cpu.regs;
        let (pc, a, halted) = (regs.pc, regs.a, regs.halted);
        self.bus.cpu_time = regs.tstates;
        if !halted {
            // A pending interrupt runs first, the instruction at PC later.
            let interrupt = regs.iff1 && !regs.ei && self.bus.int_line();
            if pc == LD_START && !interrupt && self.load_block() {
                return false;
            }
            if pc == PRINT_A && !interrupt {
                self.printed.push(a);
            }
        }
        self.cpu.step(&mut self.bus);
        true
    }

    /// Runs instructions until absolute T-state `end`: on the engine
    /// between the traps (it stops before them), stepping the interpreter
    /// through them.
    fn run_until(&mut self, end: u64) -> Result<u64, MachineError> {
        let mut instructions = 0;
        while self.cpu.regs.tstates < end {
            if let Some(engine) = self.engine.0.as_mut() {
                let limits = Z80Limits {
                    max_tstates: end,
                    stop_at: [Some(LD_START), Some(PRINT_A)],
                    ..Z80Limits::instructions(u64::MAX)
                };
                let outcome = engine.run(&mut self.cpu, &mut self.bus, &limits);
                instructions += outcome.instructions;
                if let Z80StopReason::Diverged { pc } = outcome.reason {
                    return Err(MachineError::Diverged { pc });
                }
                if self.cpu.regs.tstates >= end {
                    break;
                }
            }
            instructions += u64::from(self.step());
        }
        Ok(instructions)
    }

    /// The instant-load trap at [`LD_START`]: A' is the expected flag
    /// byte, carry in F' set for LOAD (clear for VERIFY), IX the address and
    /// DE the length. Does what the routine would do with the next block
    /// and returns as it would, to SA/LD-RET (which restores the border and
    /// enables interrupts): carry set on success, IX past the bytes loaded,
    /// DE the bytes not loaded. A block with the wrong flag, a short block
    /// (the ROM would time out) and a bad checksum fail with carry clear.
    /// Returns false, leaving the ROM to wait for a signal, when the tape
    /// is empty.
    fn load_block(&mut self) -> bool {
        let Some(block) = self.tape.pop_front() else {
            return false;
        };
        self.bus.render_to(self.cpu.regs.tstates);
        let regs = &mut self.cpu.regs;
        let [expected, flags] = regs.af_alt.to_be_bytes();
        let verify = flags & 1 == 0;
        let mut ok = false;
        if let Some((&flag, payload)) = block.split_first()
            && flag == expected
        {
            let mut parity = flag;
            let mut ix = regs.ix;
            let mut de = regs.de();
            let mut matches = true;
            let mut bytes = payload.iter();
            while de > 0 {
                let Some(&b) = bytes.next() else { break };
                parity ^= b;
                let at = usize::from(ix);
                if verify {
                    matches &= self.bus.mem.data()[at] == b;
                } else if at >= ROM_SIZE {
                    self.bus.bytes_mut()[at] = b;
                }
                ix = ix.wrapping_add(1);
                de -= 1;
            }
            // The checksum byte follows the data.
            if de == 0
                && let Some(&checksum) = bytes.next()
            {
                parity ^= checksum;
                ok = parity == 0 && matches;
            }
            regs.ix = ix;
            regs.set_de(de);
            regs.h = parity;
        }
        // LD-8-BITS ends with LD A,H / CP 1: A is the parity, carry set
        // when it is 0.
        regs.a = regs.h;
        regs.f = if ok { regs.f | 1 } else { regs.f & !1 };
        let sp = regs.sp;
        let lo = self.bus.mem.data()[usize::from(sp)];
        let hi = self.bus.mem.data()[usize::from(sp.wrapping_add(1))];
        regs.sp = sp.wrapping_add(2);
        regs.pc = u16::from_le_bytes([lo, hi]);
        self.memory_replaced();
        true
    }

    fn state(&self) -> SavedState {
        let bus = &self.bus;
        SavedState {
            regs: RegsState::from(&self.cpu.regs),
            ram: bus.mem.data()[ROM_SIZE..].to_vec(),
            frame_start: bus.frame_start,
            fe: bus.fe,
            video: bus.video.clone(),
            keyboard: bus.keyboard,
            kempston: bus.kempston,
            beeper: bus.beeper.clone(),
        }
    }
}

/// The register values of a Z80 after power-on or reset, at T-state `tstates`.
fn power_on(regs: &mut Registers, tstates: u64) {
    *regs = Registers {
        tstates,
        ..Registers::default()
    };
    regs.set_af(0xFFFF);
    regs.sp = 0xFFFF;
}

impl Machine for Zx48 {
    fn name(&self) -> &'static str {
        "ZX Spectrum 48K"
    }

    fn has_keyboard(&self) -> bool {
        true
    }

    fn frame_rate(&self) -> f64 {
        FRAME_RATE
    }

    fn screen_size(&self) -> (u32, u32) {
        (WIDTH as u32, HEIGHT as u32)
    }

    fn run_frame(&mut self) -> Result<FrameReport, MachineError> {
        let start = self.cpu.regs.tstates;
        let end = self.bus.frame_start + u64::from(FRAME_TSTATES);
        let instructions = self.run_until(end)?;
        self.instructions += instructions;
        let bus = &mut self.bus;
        bus.video.end_frame(address_space(&bus.mem), &mut bus.rgba);
        bus.beeper.advance(end);
        if let Some(player) = bus.player.as_mut() {
            // The player runs lazily on reads: bring it up to date so that
            // `tape_playing` knows when a tape nobody reads has ended.
            player.ear(end);
        }
        bus.frame_start = end;
        Ok(FrameReport {
            cycles: self.cpu.regs.tstates - start,
            instructions,
        })
    }

    fn framebuffer(&self) -> &[u8] {
        &self.bus.rgba
    }

    fn audio_sample_rate(&self) -> u32 {
        self.sample_rate
    }

    fn take_audio(&mut self, out: &mut Vec<i16>) {
        self.bus.beeper.take(out);
    }

    fn set_input(&mut self, input: &InputState) {
        self.bus.keyboard = Keyboard::from_keys(input.keys);
        self.bus.kempston = kempston(input.pads[0]);
    }

    fn reset(&mut self) {
        let tstates = self.cpu.regs.tstates;
        self.cpu = Cpu::new();
        power_on(&mut self.cpu.regs, tstates);
    }

    fn save_state(&self) -> Vec<u8> {
        state::encode(STATE_ID, self.program, &self.state())
    }

    fn load_state(&mut self, data: &[u8]) -> Result<(), StateError> {
        let s: SavedState = state::decode(STATE_ID, self.program, data)?;
        if s.ram.len() != 0x10000 - ROM_SIZE {
            return Err(StateError::Corrupt(format!(
                "{} bytes of RAM, a 48K has 49152",
                s.ram.len()
            )));
        }
        // The CPU is never more than one instruction past the frame's end;
        // anything else would make the next frame run for ever or not at all.
        let into_frame = s.regs.tstates.checked_sub(s.frame_start);
        if into_frame.is_none_or(|t| t >= u64::from(FRAME_TSTATES)) {
            return Err(StateError::Corrupt(format!(
                "CPU at T-state {} of a frame starting at {}",
                s.regs.tstates, s.frame_start
            )));
        }
        self.cpu = Cpu::new();
        self.cpu.regs = Registers::from(&s.regs);
        let bus = &mut self.bus;
        bus.bytes_mut()[ROM_SIZE..].copy_from_slice(&s.ram);
        bus.frame_start = s.frame_start;
        bus.cpu_time = s.regs.tstates;
        bus.fe = s.fe;
        bus.video = s.video;
        bus.keyboard = s.keyboard;
        bus.kempston = s.kempston;
        bus.beeper = s.beeper.adopt(self.sample_rate, s.regs.tstates);
        self.redraw();
        self.memory_replaced();
        Ok(())
    }

    fn battery_ram(&self) -> Option<&[u8]> {
        None
    }

    fn instructions(&self) -> u64 {
        self.instructions
    }

    fn translated_instructions(&self) -> Option<u64> {
        self.engine().and_then(|e| e.translated_instructions())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A state whose checksum is right but whose contents are not: the CPU
    /// far from its frame, another sample rate, an impossible border.
    #[test]
    fn damaged_state_contents_are_refused_or_tamed() {
        let mut m = Zx48::new(&[0; ROM_SIZE], 44_100).unwrap();
        m.run_frame().unwrap();
        let mut s = m.state();
        s.frame_start += 10 * u64::from(FRAME_TSTATES);
        let far = state::encode(STATE_ID, m.program, &s);
        let before = m.save_state();
        assert!(matches!(m.load_state(&far), Err(StateError::Corrupt(_))));
        assert_eq!(m.save_state(), before);

        let mut s = m.state();
        s.beeper = Beeper::new(7, 0);
        s.video.border = 200;
        let odd = state::encode(STATE_ID, m.program, &s);
        m.load_state(&odd).unwrap();
        m.run_frame().unwrap();
        let mut audio = Vec::new();
        m.take_audio(&mut audio);
        assert!(audio.len() < 900, "{} samples for one frame", audio.len());
    }
}
