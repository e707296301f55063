#!/usr/bin/env python3
"""gen_demo_images.py - street scenes for the demo's box-labeling project, drawn from scratch.

    gen_demo_images.py OUT_DIR [N]

Writes N (default 12) PNG images street-NN.png (640x400, RGB) into OUT_DIR, and items.jsonl
(one item per image: id, image, width, height, caption) plus predictions.jsonl (a made-up
"model" whose boxes are the drawn objects, shifted a little, for the pre-label feature). The
pictures are simple shapes (sky, road, cars, pedestrians, cyclists, traffic lights) in a fixed
pseudo-random layout, so the output is the same on every run. Standard library only: the PNG
is written with zlib. The images are this script's own work; there is no outside source.
"""
import json
import os
import random
import struct
import sys
import zlib

W, H = 640, 400


class Canvas:
    def __init__(self, w, h):
        self.w, self.h = w, h
        self.rows = [bytearray(w * 3) for _ in range(h)]

    def rect(self, x, y, w, h, rgb):
        x0, y0 = max(0, int(x)), max(0, int(y))
        x1, y1 = min(self.w, int(x + w)), min(self.h, int(y + h))
        if x1 <= x0 or y1 <= y0:
            return
        run = bytes(rgb) * (x1 - x0)
        for yy in range(y0, y1):
            self.rows[yy][x0 * 3:x1 * 3] = run

    def disc(self, cx, cy, r, rgb):
        for dy in range(-r, r + 1):
            half = int((r * r - dy * dy) ** 0.5)
            self.rect(cx - half, cy + dy, 2 * half + 1, 1, rgb)

    def png(self):
        raw = b"".join(b"\x00" + bytes(row) for row in self.rows)

        def chunk(kind, data):
            c = struct.pack(">I", len(data)) + kind + data
            return c + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

        return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", self.w, self.h, 8, 2, 0, 0, 0)) +
                chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b""))


def scene(rng, night):
    c = Canvas(W, H)
    horizon = 170
    for y in range(horizon):  # sky: a vertical gradient
        t = y / horizon
        sky = (20, 24, 60) if night else (110, 160, 220)
        c.rect(0, y, W, 1, tuple(int(v * (0.7 + 0.3 * t)) for v in sky))
    c.rect(0, horizon, W, H - horizon, (70, 72, 78) if not night else (40, 40, 46))  # road
    c.rect(0, horizon, W, 30, (120, 120, 110) if not night else (60, 60, 58))  # pavement
    for x in range(0, W, 80):  # lane marks
        c.rect(x + 10, 300, 40, 5, (230, 230, 200))
    for i in range(rng.randint(3, 6)):  # buildings behind
        bx = rng.randint(0, W - 90)
        bh = rng.randint(50, 140)
        c.rect(bx, horizon - bh, rng.randint(60, 120), bh, (rng.randint(90, 150),) * 3)
    objects = []
    for _ in range(rng.randint(1, 3)):  # traffic lights
        x = rng.randint(20, W - 30)
        c.rect(x + 6, horizon - 20, 4, 60, (50, 50, 50))
        c.rect(x, horizon - 70, 16, 48, (30, 30, 30))
        for k, col in enumerate(((200, 40, 40), (220, 180, 40), (40, 190, 80))):
            c.disc(x + 8, horizon - 62 + 15 * k, 5, col if rng.random() < 0.5 else (70, 70, 70))
        objects.append({"x": x, "y": horizon - 70, "w": 16, "h": 108, "label": "traffic_light"})
    for _ in range(rng.randint(1, 4)):  # cars
        w = rng.randint(90, 150)
        h = int(w * 0.45)
        x = rng.randint(0, W - w)
        y = rng.randint(210, H - h - 5)
        body = (rng.randint(60, 220), rng.randint(40, 200), rng.randint(40, 220))
        c.rect(x, y + h * 0.35, w, h * 0.45, body)
        c.rect(x + w * 0.2, y, w * 0.55, h * 0.4, body)
        c.rect(x + w * 0.25, y + h * 0.06, w * 0.2, h * 0.3, (170, 210, 230))
        c.rect(x + w * 0.5, y + h * 0.06, w * 0.2, h * 0.3, (170, 210, 230))
        c.disc(int(x + w * 0.22), int(y + h * 0.82), int(h * 0.18), (20, 20, 20))
        c.disc(int(x + w * 0.78), int(y + h * 0.82), int(h * 0.18), (20, 20, 20))
        objects.append({"x": x, "y": y, "w": w, "h": h, "label": "car"})
    for _ in range(rng.randint(1, 4)):  # pedestrians
        x = rng.randint(10, W - 30)
        y = rng.randint(150, 220)
        coat = (rng.randint(30, 200), rng.randint(30, 200), rng.randint(30, 200))
        c.disc(x + 9, y + 7, 7, (230, 190, 160))
        c.rect(x + 2, y + 14, 14, 30, coat)
        c.rect(x + 3, y + 44, 5, 22, (40, 40, 60))
        c.rect(x + 10, y + 44, 5, 22, (40, 40, 60))
        objects.append({"x": x, "y": y, "w": 18, "h": 66, "label": "pedestrian"})
    if rng.random() < 0.5:  # a cyclist
        x = rng.randint(20, W - 80)
        y = rng.randint(230, 300)
        c.disc(x + 12, y + 50, 12, (25, 25, 25))
        c.disc(x + 52, y + 50, 12, (25, 25, 25))
        c.rect(x + 12, y + 40, 42, 4, (200, 60, 60))
        c.rect(x + 26, y + 8, 12, 32, (60, 120, 200))
        c.disc(x + 32, y + 4, 6, (230, 190, 160))
        objects.append({"x": x, "y": y - 2, "w": 64, "h": 64, "label": "cyclist"})
    return c, objects


def main():
    if len(sys.argv) < 2:
        raise SystemExit("usage: gen_demo_images.py OUT_DIR [N]")
    out = sys.argv[1]
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 12
    os.makedirs(out, exist_ok=True)
    rng = random.Random(20261127)
    items, preds = [], []
    for i in range(1, n + 1):
        night = i % 4 == 0
        c, objects = scene(rng, night)
        name = f"street-{i:02d}.png"
        with open(os.path.join(out, name), "wb") as f:
            f.write(c.png())
        ext = f"street-{i:02d}"
        items.append({"id": ext, "image": name, "width": W, "height": H,
                      "caption": f"Generated street scene {i} ({'night' if night else 'day'})"})
        boxes = []
        for o in objects:  # the "model": close to the drawn shapes, not exact
            dx, dy = rng.randint(-4, 4), rng.randint(-4, 4)
            x = max(0, min(W - 2, o["x"] + dx))
            y = max(0, min(H - 2, o["y"] + dy))
            boxes.append({"x": x, "y": y, "w": max(1, min(W - x, o["w"])),
                          "h": max(1, min(H - y, o["h"])), "label": o["label"]})
        preds.append({"item": ext, "model": "demo-detector", "model_version": "1",
                      "value": {"objects": boxes}, "score": round(0.6 + 0.4 * rng.random(), 2)})
    with open(os.path.join(out, "items.jsonl"), "w") as f:
        for it in items:
            f.write(json.dumps(it) + "\n")
    with open(os.path.join(out, "predictions.jsonl"), "w") as f:
        for p in preds:
            f.write(json.dumps(p) + "\n")


if __name__ == "__main__":
    main()
