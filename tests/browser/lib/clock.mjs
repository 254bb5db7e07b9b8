// SPDX-License-Identifier: MIT
// Reads, in the page, the wall-clock stamp of the camera fixture's /clock mount.
//
// The mount paints into every frame the time it was made: 48 bits of
// milliseconds since the Unix epoch as white (1) and black (0) squares of
// width/32 pixels, two rows at the top left, most significant bit first; row 1
// ends with the complements of its first 16 bits (tests/fixtures/camera.cpp;
// the C++ reader is read_clock_stamp() in tests/support).
//
// `readClockStamp` runs inside the page: pass it to page.evaluate or add it
// with page.addInitScript(readClockStampSource) and call
// window.readClockStamp(imageData) on the RGBA pixels of a canvas that drew
// the video frame at its own size. It returns the milliseconds, or null when
// the picture holds no valid stamp.
export function readClockStamp(image) {
  const columns = 32;
  const bits = 48;
  const size = Math.floor(image.width / columns);
  if (size < 4 || image.height < 2 * size) return null;
  const bit = (index) => {
    const x0 = (index % columns) * size + Math.floor(size / 4);
    const y0 = Math.floor(index / columns) * size + Math.floor(size / 4);
    let sum = 0;
    let count = 0;
    for (let y = y0; y < y0 + Math.floor(size / 2); ++y) {
      for (let x = x0; x < x0 + Math.floor(size / 2); ++x) {
        const i = (y * image.width + x) * 4;
        sum += (image.data[i] + image.data[i + 1] + image.data[i + 2]) / 3;
        ++count;
      }
    }
    return sum / count >= 128;
  };
  let value = 0;
  // 48 bits exceed 32-bit integer arithmetic: build the number with * 2.
  for (let i = 0; i < bits; ++i) value = value * 2 + (bit(i) ? 1 : 0);
  for (let i = 0; i < 2 * columns - bits; ++i) {
    if (bit(columns + i) === bit(bits + i)) return null;
  }
  return value;
}

// The function as a script that defines window.readClockStamp.
export const readClockStampSource = `window.readClockStamp = ${readClockStamp.toString()};`;
