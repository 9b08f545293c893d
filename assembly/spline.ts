// spline kernels: to be written.
