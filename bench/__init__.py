"""`make bench`: the app measured against its own floors in one run (issue 7). See bench/README.md."""
