"""Field work: what staff and volunteers find on patrol (/patrol), the sites campaigns visit
(`firecircle sites import`), and inspection campaigns with checklists (`firecircle campaign`,
/campaign). Whatever field work finds becomes a report in the same lifecycle."""
