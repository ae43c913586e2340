"""dagmap."""
