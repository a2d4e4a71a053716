"""Rules (apiref 2A0-2AA, 277): which events of a cell they match and what they do with them."""
