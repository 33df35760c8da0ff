"""The gRPC edge: servicers, converters, the authorization policy and interceptor."""
