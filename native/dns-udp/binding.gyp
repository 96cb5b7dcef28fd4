{
  "targets": [
    {
      "target_name": "sluice_dns_udp",
      "sources": ["dns_udp.c"],
      "cflags": ["-O2", "-Wall", "-Wextra", "-Wno-unused-parameter"]
    }
  ]
}
