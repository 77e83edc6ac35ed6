//! The window: the machine's picture in a streaming texture, drawn at an
//! integer scale, letterboxed, with an optional pixel aspect.

use anyhow::{Context, Result, anyhow};
use sdl2::VideoSubsystem;
use sdl2::pixels::{Color, PixelFormatEnum};
use sdl2::rect::Rect;
use sdl2::render::{Texture, TextureCreator, WindowCanvas};
use sdl2::video::WindowContext;

/// Width of a pixel relative to its height when `pixel_aspect` is on: an
/// NTSC television showed the NES's 256 pixels 8:7 wide.
pub const NES_PIXEL_ASPECT: f64 = 8.0 / 7.0;

/// Size of the window at `scale` for a `picture` of pixels `aspect` wide.
pub fn window_size(picture: (u32, u32), scale: u32, aspect: f64) -> (u32, u32) {
    (
        (f64::from(picture.0 * scale) * aspect).round() as u32,
        picture.1 * scale,
    )
}

/// Where the picture goes in a `window`: the largest integer scale that
/// fits, centred. A window smaller than one picture gets the largest
/// fraction that fits instead, so something is always visible.
pub fn fit(window: (u32, u32), picture: (u32, u32), aspect: f64) -> Rect {
    let width = f64::from(picture.0) * aspect;
    let height = f64::from(picture.1);
    let fits = (f64::from(window.0) / width).min(f64::from(window.1) / height);
    // window_size rounds the width to whole pixels, which can leave `fits`
    // a hair below the scale the window was made for; a scale whose
    // rounded size fits counts as fitting.
    let fits_at = |scale: f64| {
        (width * scale).round() <= f64::from(window.0) && height * scale <= f64::from(window.1)
    };
    let floor = fits.floor();
    let scale = if fits_at(floor + 1.0) {
        floor + 1.0
    } else if floor >= 1.0 {
        floor
    } else {
        fits
    };
    let w = ((width * scale).round() as u32).max(1);
    let h = ((height * scale).round() as u32).max(1);
    let x = (window.0.saturating_sub(w) / 2) as i32;
    let y = (window.1.saturating_sub(h) / 2) as i32;
    Rect::new(x, y, w, h)
}

/// The window, its renderer and the picture's texture.
pub struct Video<'t> {
    canvas: WindowCanvas,
    texture: Texture<'t>,
    picture: (u32, u32),
    aspect: f64,
}

impl std::fmt::Debug for Video<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Video")
            .field("picture", &self.picture)
            .field("aspect", &self.aspect)
            .finish()
    }
}

/// Opens a resizable window titled `title` for a `picture` at `scale`.
/// The canvas comes back alone because its texture creator must outlive
/// the texture that [`Video::new`] makes from it.
pub fn open_window(
    video: &VideoSubsystem,
    title: &str,
    picture: (u32, u32),
    scale: u32,
    aspect: f64,
) -> Result<WindowCanvas> {
    let (w, h) = window_size(picture, scale, aspect);
    let window = video
        .window(title, w, h)
        .position_centered()
        .resizable()
        .build()
        .context("cannot open the window")?;
    // No vsync: the audio queue and the frame timer pace the machine, and
    // a blocking present would fight them on displays not at 60 Hz.
    window
        .into_canvas()
        .build()
        .context("cannot create a renderer for the window")
}

impl<'t> Video<'t> {
    /// The texture for `picture`-sized RGBA8888 frames.
    pub fn new(
        canvas: WindowCanvas,
        creator: &'t TextureCreator<WindowContext>,
        picture: (u32, u32),
        aspect: f64,
    ) -> Result<Self> {
        // RGBA32 is the format whose bytes in memory are R, G, B, A, as the
        // machine's framebuffer is, on either endianness.
        let texture = creator
            .create_texture_streaming(PixelFormatEnum::RGBA32, picture.0, picture.1)
            .context("cannot create the picture texture")?;
        Ok(Self {
            canvas,
            texture,
            picture,
            aspect,
        })
    }

    /// Sets the window title.
    pub fn set_title(&mut self, title: &str) {
        // Only a NUL in the title can fail, and titles are built here.
        let _ = self.canvas.window_mut().set_title(title);
    }

    /// Draws `rgba` (the machine's framebuffer) letterboxed into the back
    /// buffer; returns where the picture went.
    pub fn draw(&mut self, rgba: &[u8]) -> Result<Rect> {
        self.texture
            .update(None, rgba, self.picture.0 as usize * 4)
            .map_err(|e| anyhow!("cannot update the picture texture: {e}"))?;
        let size = self.canvas.output_size().map_err(|e| anyhow!(e))?;
        let dst = fit(size, self.picture, self.aspect);
        self.canvas.set_draw_color(Color::BLACK);
        self.canvas.clear();
        self.canvas
            .copy(&self.texture, None, dst)
            .map_err(|e| anyhow!("cannot draw the picture: {e}"))?;
        Ok(dst)
    }

    /// Reads `area` of the back buffer (what the next present shows) as
    /// RGBA8888.
    pub fn read_back(&self, area: Rect) -> Result<Vec<u8>> {
        self.canvas
            .read_pixels(area, PixelFormatEnum::RGBA32)
            .map_err(|e| anyhow!("cannot read back the window: {e}"))
    }

    /// Shows what was drawn.
    pub fn present(&mut self) {
        self.canvas.present();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NES: (u32, u32) = (256, 240);

    #[test]
    fn window_size_applies_scale_and_aspect() {
        assert_eq!(window_size(NES, 3, 1.0), (768, 720));
        assert_eq!(window_size(NES, 3, NES_PIXEL_ASPECT), (878, 720));
    }

    #[test]
    fn fit_uses_the_largest_integer_scale_centred() {
        assert_eq!(fit((768, 720), NES, 1.0), Rect::new(0, 0, 768, 720));
        // Wider than tall: bars left and right.
        assert_eq!(fit((1000, 500), NES, 1.0), Rect::new(244, 10, 512, 480));
        assert_eq!(fit((1920, 1080), NES, 1.0), Rect::new(448, 60, 1024, 960));
        assert_eq!(
            fit((1920, 1080), NES, NES_PIXEL_ASPECT),
            Rect::new(375, 60, 1170, 960)
        );
    }

    #[test]
    fn fit_fills_a_window_made_for_the_scale() {
        for aspect in [1.0, NES_PIXEL_ASPECT] {
            for scale in 1..=16 {
                let (w, h) = window_size(NES, scale, aspect);
                assert_eq!(
                    fit((w, h), NES, aspect),
                    Rect::new(0, 0, w, h),
                    "{scale} {aspect}"
                );
            }
        }
    }

    #[test]
    fn fit_shrinks_below_one_picture() {
        assert_eq!(fit((128, 300), NES, 1.0), Rect::new(0, 90, 128, 120));
        assert_eq!(fit((0, 0), NES, 1.0), Rect::new(0, 0, 1, 1));
    }
}
