//! `xlrm._core.stats`: streaming hidden-state statistics (Gram spectra, CKA,
//! norm distributions). Arrays arrive as C-contiguous 2-D numpy arrays with a
//! `kind` tag ("f32", "f64", "f16", "bf16"; the half kinds as uint16 bits);
//! the public wrapper `xlrm.stats` picks the tag.

use half::slice::HalfBitsSliceExt;
use half::{bf16, f16};
use numpy::{
    PyArray1, PyArray2, PyArrayMethods, PyReadonlyArray1, PyReadonlyArray2, PyUntypedArrayMethods,
};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList};
use xlrm_core::stats::{
    self, Chunk, CrossAccumulator, GramAccumulator, GramOptions, NonFinite, NormAccumulator,
    Precision, Rows, Spectrum,
};

use crate::args;
use crate::errors::{to_py, XlrmError};

/// A borrowed numpy array kept alive while Rust reads it.
enum Held<'py> {
    F32(PyReadonlyArray2<'py, f32>),
    F64(PyReadonlyArray2<'py, f64>),
    Half(PyReadonlyArray2<'py, u16>, bool),
}

fn hold<'py>(arr: &Bound<'py, PyAny>, kind: &str) -> PyResult<Held<'py>> {
    fn cast<'py, T: numpy::Element>(
        arr: &Bound<'py, PyAny>,
        want: &str,
    ) -> PyResult<PyReadonlyArray2<'py, T>> {
        let a = arr
            .cast::<PyArray2<T>>()
            .map_err(|_| XlrmError::new_err(format!("expected a 2-D numpy array of {want}")))?;
        a.try_readonly()
            .map_err(|e| XlrmError::new_err(format!("array is being written elsewhere: {e}")))
    }
    Ok(match kind {
        "f32" => Held::F32(cast(arr, "float32")?),
        "f64" => Held::F64(cast(arr, "float64")?),
        "f16" => Held::Half(cast(arr, "uint16 (float16 bits)")?, false),
        "bf16" => Held::Half(cast(arr, "uint16 (bfloat16 bits)")?, true),
        other => {
            return Err(XlrmError::new_err(format!(
                "unknown kind {other:?}; use f32, f64, f16 or bf16"
            )))
        }
    })
}

fn contiguous<'a, T: numpy::Element>(a: &'a PyReadonlyArray2<'_, T>) -> PyResult<&'a [T]> {
    a.as_slice().map_err(|_| {
        XlrmError::new_err("chunk must be C-contiguous; pass numpy.ascontiguousarray(chunk)")
    })
}

impl Held<'_> {
    fn chunk(&self) -> PyResult<Chunk<'_>> {
        let (rows, shape) = match self {
            Held::F32(a) => (Rows::F32(contiguous(a)?), a.shape()),
            Held::F64(a) => (Rows::F64(contiguous(a)?), a.shape()),
            Held::Half(a, true) => (
                Rows::Bf16(contiguous(a)?.reinterpret_cast::<bf16>()),
                a.shape(),
            ),
            Held::Half(a, false) => (
                Rows::F16(contiguous(a)?.reinterpret_cast::<f16>()),
                a.shape(),
            ),
        };
        Chunk::new(rows, shape[0], shape[1]).map_err(to_py)
    }
}

fn options(
    center: bool,
    exact: bool,
    nonfinite: &str,
    block_rows: usize,
    small_n: bool,
) -> PyResult<GramOptions> {
    Ok(GramOptions {
        center,
        precision: if exact {
            Precision::Exact
        } else {
            Precision::Fast
        },
        nonfinite: NonFinite::parse(nonfinite).map_err(to_py)?,
        block_rows,
        small_n,
    })
}

fn spectrum_dict<'py>(py: Python<'py>, s: Spectrum) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    d.set_item("n", s.n)?;
    d.set_item("dim", s.dim)?;
    d.set_item("centered", s.centered)?;
    d.set_item("skipped", s.skipped)?;
    d.set_item("total", s.total)?;
    d.set_item("top1_share", s.top1_share)?;
    d.set_item("effective_rank", s.effective_rank)?;
    d.set_item("stable_rank", s.stable_rank)?;
    d.set_item("singular_values", PyArray1::from_vec(py, s.singular_values))?;
    d.set_item("eigenvalues", PyArray1::from_vec(py, s.eigenvalues))?;
    d.set_item("cumulative", PyArray1::from_vec(py, s.cumulative))?;
    Ok(d)
}

fn square<'py>(py: Python<'py>, v: Vec<f64>, d: usize) -> PyResult<Bound<'py, PyArray2<f64>>> {
    PyArray1::from_vec(py, v).reshape([d, d])
}

/// Streaming count, mean and Gram matrix of rows; spectrum on finalize.
#[pyclass(module = "xlrm._core.stats", name = "GramAccumulator")]
#[derive(Clone)]
struct PyGram {
    inner: GramAccumulator,
}

#[pymethods]
impl PyGram {
    #[new]
    #[pyo3(signature = (dim, *, center=true, exact=false, nonfinite="skip", block_rows=0, small_n=true))]
    fn new(
        #[pyo3(from_py_with = args::dim)] dim: usize,
        center: bool,
        exact: bool,
        nonfinite: &str,
        #[pyo3(from_py_with = args::block_rows)] block_rows: usize,
        small_n: bool,
    ) -> PyResult<Self> {
        let opts = options(center, exact, nonfinite, block_rows, small_n)?;
        Ok(Self {
            inner: GramAccumulator::new(dim, opts).map_err(to_py)?,
        })
    }

    /// Fold in a 2-D chunk of rows; `kind` names its element type.
    fn update(&mut self, py: Python<'_>, chunk: &Bound<'_, PyAny>, kind: &str) -> PyResult<()> {
        let held = hold(chunk, kind)?;
        let c = held.chunk()?;
        let inner = &mut self.inner;
        py.detach(|| inner.update(&c)).map_err(to_py)
    }

    fn merge(&mut self, py: Python<'_>, other: PyRef<'_, PyGram>) -> PyResult<()> {
        let (inner, o) = (&mut self.inner, &other.inner);
        py.detach(|| inner.merge(o)).map_err(to_py)
    }

    fn copy(&self) -> Self {
        self.clone()
    }

    #[pyo3(signature = (center=None))]
    fn finalize<'py>(&self, py: Python<'py>, center: Option<bool>) -> PyResult<Bound<'py, PyDict>> {
        let inner = &self.inner;
        let s = py.detach(|| inner.finalize(center)).map_err(to_py)?;
        spectrum_dict(py, s)
    }

    /// The full `d × d` scatter (centred) or Gram (uncentred) matrix.
    #[pyo3(signature = (center=true))]
    fn scatter<'py>(&self, py: Python<'py>, center: bool) -> PyResult<Bound<'py, PyArray2<f64>>> {
        let inner = &self.inner;
        let m = py.detach(|| inner.scatter(center)).map_err(to_py)?;
        square(py, m, self.inner.dim())
    }

    fn mean<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyArray1<f64>>> {
        Ok(PyArray1::from_vec(py, self.inner.mean().map_err(to_py)?))
    }

    #[getter]
    fn n(&self) -> u64 {
        self.inner.n()
    }
    #[getter]
    fn dim(&self) -> usize {
        self.inner.dim()
    }
    #[getter]
    fn skipped(&self) -> u64 {
        self.inner.skipped()
    }
    #[getter]
    fn center(&self) -> bool {
        self.inner.options().center
    }
    #[getter]
    fn exact(&self) -> bool {
        self.inner.options().precision == Precision::Exact
    }
    #[getter]
    fn nonfinite(&self) -> &'static str {
        self.inner.options().nonfinite.as_str()
    }
    #[getter]
    fn small_n(&self) -> bool {
        self.inner.options().small_n
    }
    /// True while the rows themselves are kept (at most `dim` of them: the small-n path).
    #[getter]
    fn keeps_rows(&self) -> bool {
        self.inner.keeps_rows()
    }
}

/// Paired rows of two models: linear CKA, mean cosine, each side's spectrum.
#[pyclass(module = "xlrm._core.stats", name = "CrossAccumulator")]
#[derive(Clone)]
struct PyCross {
    inner: CrossAccumulator,
}

#[pymethods]
impl PyCross {
    #[new]
    #[pyo3(signature = (dim_x, dim_y, *, exact=false, nonfinite="skip", block_rows=0, small_n=true))]
    fn new(
        #[pyo3(from_py_with = args::dim_x)] dim_x: usize,
        #[pyo3(from_py_with = args::dim_y)] dim_y: usize,
        exact: bool,
        nonfinite: &str,
        #[pyo3(from_py_with = args::block_rows)] block_rows: usize,
        small_n: bool,
    ) -> PyResult<Self> {
        let opts = options(true, exact, nonfinite, block_rows, small_n)?;
        Ok(Self {
            inner: CrossAccumulator::new(dim_x, dim_y, opts).map_err(to_py)?,
        })
    }

    fn update(
        &mut self,
        py: Python<'_>,
        x: &Bound<'_, PyAny>,
        x_kind: &str,
        y: &Bound<'_, PyAny>,
        y_kind: &str,
    ) -> PyResult<()> {
        let (hx, hy) = (hold(x, x_kind)?, hold(y, y_kind)?);
        let (cx, cy) = (hx.chunk()?, hy.chunk()?);
        let inner = &mut self.inner;
        py.detach(|| inner.update(&cx, &cy)).map_err(to_py)
    }

    fn merge(&mut self, py: Python<'_>, other: PyRef<'_, PyCross>) -> PyResult<()> {
        let (inner, o) = (&mut self.inner, &other.inner);
        py.detach(|| inner.merge(o)).map_err(to_py)
    }

    fn copy(&self) -> Self {
        self.clone()
    }

    fn finalize<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let inner = &self.inner;
        let r = py.detach(|| inner.finalize()).map_err(to_py)?;
        let d = PyDict::new(py);
        d.set_item("n", r.n)?;
        d.set_item("skipped", r.skipped)?;
        d.set_item("cka", r.cka)?;
        d.set_item("mean_cosine", r.mean_cosine)?;
        d.set_item("zero_norm", r.zero_norm)?;
        Ok(d)
    }

    /// Spectra of the x side and the y side.
    #[pyo3(signature = (center=None))]
    fn spectra<'py>(
        &self,
        py: Python<'py>,
        center: Option<bool>,
    ) -> PyResult<(Bound<'py, PyDict>, Bound<'py, PyDict>)> {
        let inner = &self.inner;
        let (a, b) = py.detach(|| inner.spectra(center)).map_err(to_py)?;
        Ok((spectrum_dict(py, a)?, spectrum_dict(py, b)?))
    }

    /// Spectrum of one side, `"x"` or `"y"`.
    #[pyo3(signature = (side, center=None))]
    fn spectrum<'py>(
        &self,
        py: Python<'py>,
        side: &str,
        center: Option<bool>,
    ) -> PyResult<Bound<'py, PyDict>> {
        let acc = match side {
            "x" => self.inner.x(),
            "y" => self.inner.y(),
            other => {
                return Err(XlrmError::new_err(format!(
                    "side must be 'x' or 'y', got {other:?}"
                )))
            }
        };
        let sp = py.detach(|| acc.finalize(center)).map_err(to_py)?;
        spectrum_dict(py, sp)
    }

    #[getter]
    fn n(&self) -> u64 {
        self.inner.n()
    }
    #[getter]
    fn skipped(&self) -> u64 {
        self.inner.skipped()
    }
    #[getter]
    fn dims(&self) -> (usize, usize) {
        (self.inner.x().dim(), self.inner.y().dim())
    }
    /// True while both sides keep their rows (at most `max(dim_x, dim_y)`: the small-n path).
    #[getter]
    fn keeps_rows(&self) -> bool {
        self.inner.keeps_rows()
    }
}

/// Row-norm (or any value) distributions per integer group id.
#[pyclass(module = "xlrm._core.stats", name = "NormAccumulator")]
#[derive(Clone)]
struct PyNorms {
    inner: NormAccumulator,
}

fn slice1<'a, T: numpy::Element>(a: &'a PyReadonlyArray1<'_, T>, name: &str) -> PyResult<&'a [T]> {
    a.as_slice()
        .map_err(|_| XlrmError::new_err(format!("{name} must be a contiguous 1-D array")))
}

#[pymethods]
impl PyNorms {
    #[new]
    #[pyo3(signature = (*, nonfinite="skip"))]
    fn new(nonfinite: &str) -> PyResult<Self> {
        Ok(Self {
            inner: NormAccumulator::new(NonFinite::parse(nonfinite).map_err(to_py)?),
        })
    }

    /// Add the L2 norm of each row of `chunk` to group `groups[i]`.
    #[pyo3(signature = (chunk, kind, groups, weights=None))]
    fn update(
        &mut self,
        py: Python<'_>,
        chunk: &Bound<'_, PyAny>,
        kind: &str,
        groups: PyReadonlyArray1<'_, u32>,
        weights: Option<PyReadonlyArray1<'_, f64>>,
    ) -> PyResult<()> {
        let held = hold(chunk, kind)?;
        let c = held.chunk()?;
        let g = slice1(&groups, "groups")?;
        let w = weights.as_ref().map(|w| slice1(w, "weights")).transpose()?;
        let inner = &mut self.inner;
        py.detach(|| inner.update(&c, g, w)).map_err(to_py)
    }

    /// Add precomputed values (e.g. token-embedding norms) to groups.
    #[pyo3(signature = (values, groups, weights=None))]
    fn add_values(
        &mut self,
        values: PyReadonlyArray1<'_, f64>,
        groups: PyReadonlyArray1<'_, u32>,
        weights: Option<PyReadonlyArray1<'_, f64>>,
    ) -> PyResult<()> {
        let w = weights.as_ref().map(|w| slice1(w, "weights")).transpose()?;
        self.inner
            .add_values(slice1(&values, "values")?, slice1(&groups, "groups")?, w)
            .map_err(to_py)
    }

    fn merge(&mut self, other: PyRef<'_, PyNorms>) {
        self.inner.merge(&other.inner)
    }

    fn copy(&self) -> Self {
        self.clone()
    }

    /// Wasserstein-1 distance between groups `a` and `b`.
    fn distance(
        &self,
        #[pyo3(from_py_with = args::a)] a: usize,
        #[pyo3(from_py_with = args::b)] b: usize,
    ) -> PyResult<f64> {
        self.inner.distance(a, b).map_err(to_py)
    }

    fn group_values<'py>(
        &self,
        py: Python<'py>,
        #[pyo3(from_py_with = args::g)] g: usize,
    ) -> (Bound<'py, PyArray1<f64>>, Bound<'py, PyArray1<f64>>) {
        let (v, w) = self.inner.group_values(g);
        (PyArray1::from_slice(py, v), PyArray1::from_slice(py, w))
    }

    #[pyo3(signature = (quantiles, bins=50, range=None))]
    fn finalize<'py>(
        &self,
        py: Python<'py>,
        quantiles: Vec<f64>,
        #[pyo3(from_py_with = args::bins)] bins: usize,
        range: Option<(f64, f64)>,
    ) -> PyResult<Bound<'py, PyDict>> {
        let rep = self
            .inner
            .finalize(&quantiles, bins, range)
            .map_err(to_py)?;
        let out = PyDict::new(py);
        out.set_item("edges", PyArray1::from_vec(py, rep.edges))?;
        let groups = PyList::empty(py);
        for g in rep.groups {
            match g {
                None => groups.append(py.None())?,
                Some(g) => {
                    let d = PyDict::new(py);
                    d.set_item("count", g.count)?;
                    d.set_item("weight", g.weight)?;
                    d.set_item("skipped", g.skipped)?;
                    d.set_item("mean", g.mean)?;
                    d.set_item("std", g.std)?;
                    d.set_item("min", g.min)?;
                    d.set_item("max", g.max)?;
                    d.set_item("quantiles", PyArray1::from_vec(py, g.quantiles))?;
                    d.set_item("hist", PyArray1::from_vec(py, g.hist))?;
                    groups.append(d)?;
                }
            }
        }
        out.set_item("groups", groups)?;
        Ok(out)
    }

    #[getter]
    fn num_groups(&self) -> usize {
        self.inner.num_groups()
    }
}

/// Euclidean norm of every row, accumulated in f64.
#[pyfunction]
fn row_norms<'py>(
    py: Python<'py>,
    chunk: &Bound<'py, PyAny>,
    kind: &str,
) -> PyResult<Bound<'py, PyArray1<f64>>> {
    let held = hold(chunk, kind)?;
    let c = held.chunk()?;
    let v = py.detach(|| c.row_norms());
    Ok(PyArray1::from_vec(py, v))
}

/// Wasserstein-1 distance between two (weighted) samples.
#[pyfunction]
#[pyo3(signature = (a, b, a_weights=None, b_weights=None))]
fn wasserstein1(
    a: PyReadonlyArray1<'_, f64>,
    b: PyReadonlyArray1<'_, f64>,
    a_weights: Option<PyReadonlyArray1<'_, f64>>,
    b_weights: Option<PyReadonlyArray1<'_, f64>>,
) -> PyResult<f64> {
    let wa = a_weights
        .as_ref()
        .map(|w| slice1(w, "a_weights"))
        .transpose()?;
    let wb = b_weights
        .as_ref()
        .map(|w| slice1(w, "b_weights"))
        .transpose()?;
    stats::wasserstein1(slice1(&a, "a")?, wa, slice1(&b, "b")?, wb).map_err(to_py)
}

/// Quantiles of a (frequency-)weighted sample, numpy's `linear` rule.
#[pyfunction]
#[pyo3(signature = (values, q, weights=None))]
fn weighted_quantiles<'py>(
    py: Python<'py>,
    values: PyReadonlyArray1<'py, f64>,
    q: Vec<f64>,
    weights: Option<PyReadonlyArray1<'py, f64>>,
) -> PyResult<Bound<'py, PyArray1<f64>>> {
    let w = weights.as_ref().map(|w| slice1(w, "weights")).transpose()?;
    let out = stats::weighted_quantiles(slice1(&values, "values")?, w, &q).map_err(to_py)?;
    Ok(PyArray1::from_vec(py, out))
}

pub fn register(parent: &Bound<'_, PyModule>) -> PyResult<()> {
    let m = PyModule::new(parent.py(), "stats")?;
    m.add_class::<PyGram>()?;
    m.add_class::<PyCross>()?;
    m.add_class::<PyNorms>()?;
    m.add_function(wrap_pyfunction!(row_norms, &m)?)?;
    m.add_function(wrap_pyfunction!(wasserstein1, &m)?)?;
    m.add_function(wrap_pyfunction!(weighted_quantiles, &m)?)?;
    parent.add_submodule(&m)?;
    Ok(())
}
