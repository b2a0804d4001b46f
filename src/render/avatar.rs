//! Identicon avatars: a deterministic, GitHub-style 5×5 mirrored SVG derived from a hash.

use std::fmt::Write as _;

/// Cells per side of the grid.
const GRID: usize = 5;
/// Columns that are drawn from the hash; the rest mirror them.
const HALF: usize = GRID.div_ceil(2);
/// Size of one cell in viewBox units; integer units keep the SVG free of fractions.
const CELL: usize = 2;
/// Half-cell margin all round, like GitHub's identicons.
const MARGIN: usize = 1;
const SIDE: usize = GRID * CELL + 2 * MARGIN;
const BACKGROUND: &str = "#f0f0f0";
/// Mid lightness with moderate saturation reads on both light and dark page themes.
const SATURATION: f64 = 0.55;
const LIGHTNESS: f64 = 0.5;

/// An identicon as a standalone SVG document, derived only from `hash` (any bytes, use the first 16).
///
/// Shorter input is zero-padded. Byte 0–1 pick the hue, the next 15 bits pick which cells of
/// the left three columns are filled; columns 4 and 5 mirror columns 2 and 1.
pub fn identicon_svg(hash: &[u8]) -> String {
    let mut bytes = [0u8; 16];
    let used = hash.len().min(bytes.len());
    bytes[..used].copy_from_slice(&hash[..used]);

    let hue = u16::from_be_bytes([bytes[0], bytes[1]]) % 360;
    let colour = hsl_to_hex(f64::from(hue), SATURATION, LIGHTNESS);

    let mut filled = [[false; GRID]; GRID];
    let mut any = false;
    for (row, cells) in filled.iter_mut().enumerate() {
        for col in 0..HALF {
            let bit = row * HALF + col;
            let on = bytes[2 + bit / 8] >> (bit % 8) & 1 == 1;
            cells[col] = on;
            cells[GRID - 1 - col] = on;
            any |= on;
        }
    }
    if !any {
        // An all-background avatar looks like a broken image; fill the centre column instead.
        for row in &mut filled {
            row[GRID / 2] = true;
        }
    }

    let mut svg = String::with_capacity(1024);
    let _ = write!(
        svg,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="48" height="48" viewBox="0 0 {SIDE} {SIDE}" shape-rendering="crispEdges">"#
    );
    let _ = write!(
        svg,
        r#"<rect x="0" y="0" width="{SIDE}" height="{SIDE}" fill="{BACKGROUND}"/>"#
    );
    for (row, cells) in filled.iter().enumerate() {
        for (col, &on) in cells.iter().enumerate() {
            if on {
                let x = MARGIN + col * CELL;
                let y = MARGIN + row * CELL;
                let _ = write!(
                    svg,
                    r#"<rect x="{x}" y="{y}" width="{CELL}" height="{CELL}" fill="{colour}"/>"#
                );
            }
        }
    }
    svg.push_str("</svg>");
    svg
}

/// Converts HSL (`hue` in degrees, the others in 0..=1) to a `#rrggbb` string.
fn hsl_to_hex(hue: f64, saturation: f64, lightness: f64) -> String {
    let chroma = (1.0 - (2.0 * lightness - 1.0).abs()) * saturation;
    let sector = hue / 60.0;
    let x = chroma * (1.0 - (sector % 2.0 - 1.0).abs());
    let (r, g, b) = match sector as u32 {
        0 => (chroma, x, 0.0),
        1 => (x, chroma, 0.0),
        2 => (0.0, chroma, x),
        3 => (0.0, x, chroma),
        4 => (x, 0.0, chroma),
        _ => (chroma, 0.0, x),
    };
    let m = lightness - chroma / 2.0;
    let channel = |v: f64| ((v + m) * 255.0).round().clamp(0.0, 255.0) as u8;
    format!("#{:02x}{:02x}{:02x}", channel(r), channel(g), channel(b))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rects(svg: &str) -> Vec<(usize, usize, String)> {
        svg.split("<rect ")
            .skip(1)
            .map(|r| {
                let attr = |name: &str| {
                    let start = r.find(&format!(" {name}=\"")).map(|i| i + name.len() + 3);
                    let start = start.or_else(|| {
                        r.starts_with(&format!("{name}=\""))
                            .then_some(name.len() + 2)
                    });
                    let start = start.expect("attribute present");
                    let end = start + r[start..].find('"').unwrap();
                    r[start..end].to_string()
                };
                (
                    attr("x").parse().unwrap(),
                    attr("y").parse().unwrap(),
                    attr("fill"),
                )
            })
            .collect()
    }

    #[test]
    fn deterministic() {
        // Pinned output: avatars are served as immutable, so a change in the drawing must come
        // with a new URL; this fails when the drawing changes.
        let svg = identicon_svg(&[7u8; 16]);
        assert_eq!(
            crate::domain::crypto::digest_hex(svg.as_bytes()),
            "b86350b4cd038449aa58747902bbcbf6"
        );
        assert_eq!(
            crate::domain::crypto::digest_hex(identicon_svg(b"abc").as_bytes()),
            "a5bc623ee4a282813d320966aa0e3f62"
        );
    }

    #[test]
    fn different_hashes_differ() {
        let a = identicon_svg(&[1u8; 16]);
        let b = identicon_svg(&[2u8; 16]);
        let c = identicon_svg(&[0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc, 0xde, 0xf0]);
        assert_ne!(a, b);
        assert_ne!(a, c);
        assert_ne!(b, c);
    }

    #[test]
    fn only_uses_first_16_bytes() {
        let mut long = vec![9u8; 16];
        let base = identicon_svg(&long);
        long.extend_from_slice(b"ignored tail");
        assert_eq!(identicon_svg(&long), base);
    }

    #[test]
    fn is_a_standalone_svg_of_rects() {
        for hash in [&b""[..], b"x", &[0xff; 16], &[0u8; 32]] {
            let svg = identicon_svg(hash);
            assert!(svg.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\""));
            assert!(svg.ends_with("</svg>"));
            assert!(svg.contains(r#"width="48" height="48""#));
            assert!(svg.contains(r#"viewBox="0 0 12 12""#));
            let tags: Vec<&str> = svg
                .split('<')
                .skip(1)
                .map(|t| t.split([' ', '>', '/']).next().unwrap())
                .collect();
            assert_eq!(tags.first(), Some(&"svg"));
            assert!(
                tags[1..tags.len() - 1].iter().all(|t| *t == "rect"),
                "{svg}"
            );
            assert_eq!(tags.last(), Some(&""), "closing </svg>");
            assert!(!svg.to_ascii_lowercase().contains("script"));
            assert!(!svg.contains("<text"));
            // Background plus at least one cell.
            assert!(rects(&svg).len() >= 2);
        }
    }

    #[test]
    fn mirrored_left_right() {
        for seed in 0u8..50 {
            let hash: Vec<u8> = (0..16)
                .map(|i| seed.wrapping_mul(31).wrapping_add(i * 17))
                .collect();
            let svg = identicon_svg(&hash);
            let cells: Vec<(usize, usize)> = rects(&svg)
                .into_iter()
                .skip(1)
                .map(|(x, y, _)| ((x - MARGIN) / CELL, (y - MARGIN) / CELL))
                .collect();
            for &(col, row) in &cells {
                assert!(col < GRID && row < GRID);
                assert!(
                    cells.contains(&(GRID - 1 - col, row)),
                    "cell ({col},{row}) not mirrored in {svg}"
                );
            }
        }
    }

    #[test]
    fn colours() {
        assert_eq!(hsl_to_hex(0.0, 1.0, 0.5), "#ff0000");
        assert_eq!(hsl_to_hex(120.0, 1.0, 0.5), "#00ff00");
        assert_eq!(hsl_to_hex(240.0, 1.0, 0.5), "#0000ff");
        assert_eq!(hsl_to_hex(0.0, 0.0, 1.0), "#ffffff");
        let svg = identicon_svg(&[0x00, 0x78, 0xff, 0xff]);
        let fills: Vec<String> = rects(&svg).into_iter().map(|(_, _, f)| f).collect();
        assert_eq!(fills[0], BACKGROUND);
        // Hue 120 at the fixed saturation/lightness.
        assert!(fills[1..]
            .iter()
            .all(|f| f == &hsl_to_hex(120.0, 0.55, 0.5)));
        assert!(fills[1..].iter().all(|f| f != BACKGROUND));
    }
}
