library(testthat)
library(scalot)

test_check("scalot")
