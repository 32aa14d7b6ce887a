"""The ``gpurg`` terminal tool: a thin Typer + Rich layer over the gpurg library."""
