"""Read and shape: from a district's workbook to typed, checked frames (pure where possible)."""
