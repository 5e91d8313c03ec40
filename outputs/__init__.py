"""What goes back to people: the blank template, feedback workbooks (with the xlsx package
editor that marks them), the HTML report, the run summary, and what the terminal prints;
every text from data escaped for where it is shown."""
