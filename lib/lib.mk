# lib/lib.mk: (filled in by its component)
