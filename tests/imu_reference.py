"""Independent Python models of the magic wand sketch, for the IMU tests.

`SketchModel` re-states the upstream Arduino sketch's stroke pipeline
(magic_wand.ino: ReadAccelerometerAndGyroscope, EstimateGyroscopeDrift,
UpdateOrientation, UpdateStroke, EstimateGravityDirection, UpdateVelocity) in
float32 numpy scalars with the sketch's own data layout: 600-entry rings
indexed 3 floats per sample, so its index quirks are reproduced literally
rather than through the kernel's smaller rings.  One sample per loop().

`rasterize_reference` re-states RasterizeStroke with Python integers and an
explicit C (truncating) division.
"""
from __future__ import annotations

import numpy as np

F = np.float32
RING = 600 * 3


def roundf(v: np.float32) -> int:
    """C roundf: half away from zero, exact for float32."""
    whole = np.trunc(v)
    return int(whole) + (int(np.sign(v)) if abs(v - whole) >= F(0.5) else 0)


class SketchModel:
    def __init__(self, sample_rate: float = 119.0) -> None:
        self.rate = F(sample_rate)
        self.accel = [F(0)] * RING
        self.gyro = [F(0)] * RING
        self.orientation = [F(0)] * RING
        self.accel_index = 0
        self.gyro_index = 0
        self.velocity = [F(0)] * 3
        self.gravity = [F(0)] * 3
        self.drift = [F(0)] * 3
        self.state = 0  # waiting, drawing, done
        self.length = 0

    def _mean(self, ring: list, index: int, limit: int) -> list:
        n = index if limit >= index else limit
        start = (index + (RING - 3 * (n + 1))) % RING
        totals = [F(0)] * 3
        for i in range(n):
            k = (start + 3 * i) % RING
            totals = [totals[a] + ring[k + a] for a in range(3)]
        return [t / F(n) for t in totals]

    def _is_moving(self) -> bool:
        if self.gyro_index < 50:
            return False
        start = (self.gyro_index + (RING - 3 * 50)) % RING
        total = F(0)
        for i in range(50):
            k = (start + 3 * i) % RING
            p = (k + RING - 3) % RING
            d = [self.orientation[k + a] - self.orientation[p + a] for a in range(3)]
            total += (d[0] * d[0]) + (d[1] * d[1]) + (d[2] * d[2])
        return bool(total > F(9.0))

    def push(self, sample: np.ndarray) -> np.ndarray | None:
        s = [F(v) for v in sample]
        g = self.gyro_index % RING
        self.gyro[g:g + 3] = s[3:]
        self.gyro_index += 3
        a = self.accel_index % RING
        self.accel[a:a + 3] = s[:3]
        self.accel_index += 3

        v = self.velocity
        if not np.sqrt((v[0] * v[0]) + (v[1] * v[1]) + (v[2] * v[2])) > F(0.1):
            self.drift = self._mean(self.gyro, self.gyro_index, 20)
        recip = F(1.0) / self.rate
        k = (self.gyro_index + (RING - 3)) % RING
        p = (k + RING - 3) % RING
        for axis in range(3):
            self.orientation[k + axis] = self.orientation[p + axis] + (s[3 + axis] - self.drift[axis]) * recip

        stroke = self._update_stroke()

        self.gravity = self._mean(self.accel, self.accel_index, 100)
        start = (self.accel_index + (RING - 3 * 2)) % RING
        for axis in range(3):
            self.velocity[axis] += self.accel[start + axis] - self.gravity[axis]
            self.velocity[axis] *= F(0.98)
        return stroke

    def _update_stroke(self) -> np.ndarray | None:
        moving = self._is_moving()
        old = self.state
        if old in (0, 2):
            if moving:
                self.length, self.state = 50, 1
        elif not moving:
            if self.length > 60:
                self.state = 2
            else:
                self.length, self.state = 0, 0
        if self.state == 0:
            return None
        self.length = min(self.length + 1, 320)
        if not (old != 2 and self.state == 2):
            return None
        start = (self.gyro_index + (RING - 3 * self.length)) % RING
        y_total = z_total = F(0)
        for j in range(self.length):
            k = (start + 3 * j) % RING
            y_total += self.orientation[k + 1]
            z_total += self.orientation[k + 2]
        y_mean, z_mean = y_total / F(self.length), z_total / F(self.length)
        gy, gz = self.gravity[1], self.gravity[2]
        gmag = np.sqrt((gy * gy) + (gz * gz))
        if gmag < F(0.0001):
            gmag = F(0.0001)
        ngy, ngz = gy / gmag, gz / gmag
        points, xs, ys = [], [], []
        for j in range(self.length // 2):
            k = (start + 3 * 2 * j) % RING
            ny = (self.orientation[k + 1] - y_mean) / F(45.0)
            nz = (self.orientation[k + 2] - z_mean) / F(45.0)
            x = (-ngz * nz) + (-ngy * ny)
            y = (-ngy * nz) + (ngz * ny)
            xs.append(x)
            ys.append(y)
            points.append([min(max(roundf(x * F(128.0)), -128), 127), min(max(roundf(y * F(128.0)), -128), 127)])
        if (max(xs) - min(xs)) < F(0.2) and (max(ys) - min(ys)) < F(0.2):
            self.state, self.length = 0, 0
            return None
        return np.array(points, np.int8)


def cdiv(a: int, b: int) -> int:
    """C integer division: truncates toward zero."""
    q = abs(a) // abs(b)
    return q if (a >= 0) == (b >= 0) else -q


def rasterize_reference(points: np.ndarray, x_range_q12: int = 2457, y_range_q12: int = 2457,
                        side: int = 32) -> np.ndarray:
    one, half = 4096, 2048
    out = np.full((side, side, 3), -128, np.int8)
    half_size = side * one // 2
    n = len(points)
    t_inc = cdiv(one, n)

    def to_pixel(v: int, rng: int) -> int:
        norm = cdiv(v * one, rng)
        return cdiv(norm * half_size, one) + half_size

    def rnd(v: int) -> int:
        return cdiv(v + half, one)

    pts = [(int(x), int(y)) for x, y in points]
    for i in range(n - 1):
        (ax, ay), (bx, by) = pts[i], pts[i + 1]
        sx, sy = to_pixel(cdiv(ax * one, 128), x_range_q12), to_pixel(-cdiv(ay * one, 128), y_range_q12)
        ex, ey = to_pixel(cdiv(bx * one, 128), x_range_q12), to_pixel(-cdiv(by * one, 128), y_range_q12)
        dx, dy = ex - sx, ey - sy
        t = i * t_inc
        if t < half:
            local = cdiv(t * one, half)
            colour = (rnd((one - local) * 255) - 128, rnd(local * 255) - 128, -128)
        else:
            local = cdiv((t - half) * one, half)
            colour = (-128, rnd((one - local) * 255) - 128, rnd(local * 255) - 128)
        colour = tuple(min(max(c, -128), 127) for c in colour)
        if abs(dx) > abs(dy):
            steps = abs(rnd(dx))
            xi = one if dx > 0 else -one
            yi = cdiv(dy * one, dx) if dx > 0 else -cdiv(dy * one, dx if dx != 0 else 1)
        else:
            steps = abs(rnd(dy))
            yi = one if dy > 0 else -one
            xi = cdiv(dx * one, dy) if dy > 0 else -cdiv(dx * one, dy if dy != 0 else 1)
        for k in range(steps + 1):
            x, y = rnd(sx + k * xi), rnd(sy + k * yi)
            if 0 <= x < side and 0 <= y < side:
                out[y, x] = colour
    return out


def synthetic_circle_stream(rate: float = 119.0, still_s: float = 2.0, draw_s: float = 1.5,
                            radius_deg: float = 18.0, seed: int = 0, tilt_deg: float = 0.0) -> np.ndarray:
    """(n, 6) float32 IMU samples of a wand drawing a '0': still, one
    counter-clockwise circle starting at the top, still again.

    The board rests with gravity on +z (tilted by ``tilt_deg`` about its x
    axis, which turns the drawing plane); the orientation path turns it about
    its y and z axes (degrees), the gyroscope reads the path's derivative and
    the accelerometer reads gravity rotated into the turned board, plus a
    little sensor noise.
    """
    rng = np.random.default_rng(seed)
    n_still, n_draw = int(still_s * rate), int(draw_s * rate)
    theta = 2 * np.pi * np.arange(n_draw) / n_draw
    about_y = np.concatenate([np.zeros(n_still), radius_deg * (np.cos(theta) - 1), np.full(n_still, 0.0)])
    about_z = np.concatenate([np.zeros(n_still), radius_deg * np.sin(theta), np.zeros(n_still)])
    about_y[n_still + n_draw:] = about_y[n_still + n_draw - 1]
    about_z[n_still + n_draw:] = about_z[n_still + n_draw - 1]

    def turn(axis: int, degrees: float) -> np.ndarray:
        c, s = np.cos(np.radians(degrees)), np.sin(np.radians(degrees))
        m = np.eye(3)
        i, j = [(1, 2), (0, 2), (0, 1)][axis]
        m[i, i], m[i, j], m[j, i], m[j, j] = c, -s, s, c
        return m

    gravity = turn(0, tilt_deg) @ np.array([0.0, 0.0, 1.0])
    accel = np.array([turn(1, -a).T @ turn(2, -b).T @ gravity for a, b in zip(about_y, about_z)])
    samples = np.zeros((len(about_y), 6), np.float32)
    samples[:, :3] = accel + rng.normal(0, 0.002, accel.shape)
    samples[:, 3] = rng.normal(0, 0.3, len(about_y))
    samples[:, 4] = np.gradient(about_y) * rate + rng.normal(0, 0.3, len(about_y))
    samples[:, 5] = np.gradient(about_z) * rate + rng.normal(0, 0.3, len(about_y))
    return samples
