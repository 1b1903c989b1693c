"""Reads two usage exports with the tools a buyer's pipeline would use and
prints what they hold as JSON, for the Rust test (usage_export.rs) to compare
with the server's own numbers.

    usage_exports.py CSV_FILE CLOUDEVENTS_NDJSON_FILE

The CSV goes through Python's `csv` module (RFC 4180: quoting, CRLF line ends);
each NDJSON line through the `cloudevents` package's JSON event format, which
checks the CloudEvents 1.0 attributes (specversion, required attributes, time,
extension attribute names) and fails on any event that breaks them.
"""

import csv
import json
import sys

from cloudevents.core.formats.json import JSONFormat


def read_csv(path):
    # newline="" lets the csv module see the CRLF line ends itself.
    with open(path, newline="", encoding="utf-8") as file:
        reader = csv.DictReader(file, strict=True)
        return {"header": reader.fieldnames, "rows": list(reader)}


def read_cloudevents(path):
    events = []
    json_format = JSONFormat()
    with open(path, encoding="utf-8") as file:
        for number, line in enumerate(file, start=1):
            if not line.endswith("\n"):
                raise SystemExit(f"line {number} does not end in a newline")
            event = json_format.read(None, line.encode("utf-8"))
            attributes = event.get_attributes()
            events.append(
                {
                    "specversion": event.get_specversion(),
                    "id": event.get_id(),
                    "source": event.get_source(),
                    "type": event.get_type(),
                    # Parsed, timezone aware: back to UTC seconds with fraction.
                    "time": event.get_time().timestamp(),
                    "datacontenttype": event.get_datacontenttype(),
                    "data": event.get_data(),
                    "extensions": {
                        name: value
                        for name, value in attributes.items()
                        if name
                        not in (
                            "specversion",
                            "id",
                            "source",
                            "type",
                            "time",
                            "datacontenttype",
                            "dataschema",
                            "subject",
                        )
                    },
                }
            )
    return events


def main():
    csv_path, cloudevents_path = sys.argv[1:3]
    json.dump(
        {"csv": read_csv(csv_path), "cloudevents": read_cloudevents(cloudevents_path)},
        sys.stdout,
    )


if __name__ == "__main__":
    main()
