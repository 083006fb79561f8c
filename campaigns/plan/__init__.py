"""Planning: targets around ranked hotspots, ad sets, reach estimates and the targets map."""
