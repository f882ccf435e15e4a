"""Red-team reports: one writer per format behind one `render(report) -> str`
interface, the same contract as `aiposture.report` (whose writers take a discovery
ScanResult; a red-team run is a different shape: attempts, rates, mappings), sharing
its SARIF severity tables."""
