"""XCom values: the JSON codec (serde), object stores for large values, and the storage policy."""
