//! The Nintendo Entertainment System (NTSC): the 2A03 CPU and APU, the
//! 2C02 PPU, the controller ports and the cartridge boards.

pub mod apu;
pub mod bus;
pub mod controller;
pub mod ines;
pub mod machine;
pub mod mapper;
pub mod ppu;

pub use machine::{FRAME_RATE, Nes, NesError};
