"""PDFs: seal image, stamping, party signatures, receipts, anti-counterfeit codes, verification."""
