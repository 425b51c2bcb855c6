"""Visit reports: the inspector's input, read from YAML/JSON files or .zip bundles and checked."""
