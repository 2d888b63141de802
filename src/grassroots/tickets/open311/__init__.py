"""Open311 GeoReport v2 (https://wiki.open311.org/GeoReport_v2) at /open311/v2/: discovery,
services and service definitions from the request catalogue, requests filed and read through
the same services as every other channel, in JSON and XML."""
