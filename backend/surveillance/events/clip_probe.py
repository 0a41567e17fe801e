"""The decode check of an uploaded clip, run in a child process with a memory bound.

``surveillance.events.clips`` starts ``python -m surveillance.events.clip_probe <path> <max_seconds>`` under
an address space limit (CLIP_CHECK_MEMORY_BYTES): FFmpeg parsing a hostile file can then fail, but never grow
the backend's own process. No Django here (a quick start); it prints one JSON object, the facts or the reason
the clip is refused.
"""

from __future__ import annotations

import json
import sys

# The video codecs browsers play in MP4 (and that cameras send).
PLAYABLE_CODECS = frozenset({"h264", "hevc", "av1", "vp9"})
# Packets read at most while looking for the first decodable frame.
FIRST_FRAME_PACKETS = 300


def probe(path: str, max_seconds: float) -> dict[str, object]:
    """``{"duration", "codec", "width", "height"}``, or ``{"error": reason}``."""
    import av

    try:
        with av.open(path, format="mp4", timeout=10.0) as container:
            if not container.streams.video:
                return {"error": "The clip has no video stream."}
            video = container.streams.video[0]
            video.codec_context.thread_count = 1  # one frame: no decoder threads, a predictable footprint
            codec = video.codec_context.name
            if codec not in PLAYABLE_CODECS:
                return {"error": f"The clip's video is {codec}; expected one of {sorted(PLAYABLE_CODECS)}."}
            duration = float(container.duration or 0) / av.time_base
            if not 0 < duration <= max_seconds:
                return {
                    "error": f"The clip lasts {duration:.1f} s; clips must last between 0 and "
                    f"CLIP_MAX_SECONDS={max_seconds:g} s."
                }
            if not _decodes_a_frame(container, video):
                return {"error": "The clip's video cannot be decoded."}
            return {"duration": duration, "codec": codec, "width": video.width, "height": video.height}
    except av.FFmpegError as error:
        return {"error": f"The clip is not a readable MP4 video ({type(error).__name__})."}


def _decodes_a_frame(container, video) -> bool:
    for index, packet in enumerate(container.demux(video)):
        if index >= FIRST_FRAME_PACKETS:
            return False
        if packet.size and packet.decode():
            return True
    return False


if __name__ == "__main__":
    try:
        answer = probe(sys.argv[1], float(sys.argv[2]))
    except MemoryError:
        answer = {"error": "memory"}
    print(json.dumps(answer))
