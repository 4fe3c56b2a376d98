"""The voice, the session as one audio track, and live playback following the player."""
