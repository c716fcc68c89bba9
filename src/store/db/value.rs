//! Values in and out of either backend. The schema is the same on both (integers as
//! BIGINT, times in unix ms, flags as 0 or 1), so a query's parameters are a handful of
//! kinds, and each kind goes to PostgreSQL as the type the statement wants there: an integer
//! where PostgreSQL inferred INT4 or BOOLEAN is sent as one, as SQLite would take it.

use bytes::BytesMut;
use postgres::types::{FromSql, IsNull, ToSql, Type, to_sql_checked};
use rusqlite::types::{ToSqlOutput, Value, ValueRef};

type BoxError = Box<dyn std::error::Error + Sync + Send>;

/// One parameter of a query.
#[derive(Debug, Clone, Copy)]
pub enum Arg<'a> {
    Null,
    Int(i64),
    Real(f64),
    Text(&'a str),
    Blob(&'a [u8]),
}

impl Arg<'_> {
    /// A letter per kind: statements are prepared per kinds of arguments.
    pub(super) fn kind(&self) -> char {
        match self {
            Arg::Null => 'n',
            Arg::Int(_) => 'i',
            Arg::Real(_) => 'r',
            Arg::Text(_) => 't',
            Arg::Blob(_) => 'b',
        }
    }

    /// The type PostgreSQL is told the parameter has; a NULL's is left unsaid (oid 0).
    pub(super) fn pg_type(&self) -> Type {
        match self {
            Arg::Null => Type::new(
                "unspecified".into(),
                0,
                postgres::types::Kind::Simple,
                "pg_catalog".into(),
            ),
            Arg::Int(_) => Type::INT8,
            Arg::Real(_) => Type::FLOAT8,
            Arg::Text(_) => Type::TEXT,
            Arg::Blob(_) => Type::BYTEA,
        }
    }
}

/// What a query may take as a parameter.
pub trait ToArg {
    fn arg(&self) -> Arg<'_>;
}

macro_rules! int_args {
    ($($t:ty),*) => {$(
        impl ToArg for $t {
            fn arg(&self) -> Arg<'_> {
                Arg::Int(i64::from(*self))
            }
        }
    )*};
}
int_args!(i64, i32, u32, u16, u8, bool);

impl ToArg for usize {
    fn arg(&self) -> Arg<'_> {
        Arg::Int(i64::try_from(*self).unwrap_or(i64::MAX))
    }
}

impl ToArg for f64 {
    fn arg(&self) -> Arg<'_> {
        Arg::Real(*self)
    }
}

impl ToArg for str {
    fn arg(&self) -> Arg<'_> {
        Arg::Text(self)
    }
}

impl ToArg for String {
    fn arg(&self) -> Arg<'_> {
        Arg::Text(self)
    }
}

impl ToArg for [u8] {
    fn arg(&self) -> Arg<'_> {
        Arg::Blob(self)
    }
}

impl ToArg for Vec<u8> {
    fn arg(&self) -> Arg<'_> {
        Arg::Blob(self)
    }
}

impl<T: ToArg> ToArg for Option<T> {
    fn arg(&self) -> Arg<'_> {
        self.as_ref().map_or(Arg::Null, ToArg::arg)
    }
}

impl<T: ToArg + ?Sized> ToArg for &T {
    fn arg(&self) -> Arg<'_> {
        (**self).arg()
    }
}

impl rusqlite::ToSql for Arg<'_> {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(match *self {
            Arg::Null => ToSqlOutput::Owned(Value::Null),
            Arg::Int(i) => ToSqlOutput::Owned(Value::Integer(i)),
            Arg::Real(f) => ToSqlOutput::Owned(Value::Real(f)),
            Arg::Text(s) => ToSqlOutput::Borrowed(ValueRef::Text(s.as_bytes())),
            Arg::Blob(b) => ToSqlOutput::Borrowed(ValueRef::Blob(b)),
        })
    }
}

impl ToSql for Arg<'_> {
    fn to_sql(&self, ty: &Type, out: &mut BytesMut) -> Result<IsNull, BoxError> {
        match *self {
            Arg::Null => Ok(IsNull::Yes),
            Arg::Int(i) => int_to_sql(i, ty, out),
            Arg::Real(f) if *ty == Type::FLOAT4 => (f as f32).to_sql(ty, out),
            Arg::Real(f) => f.to_sql(ty, out),
            Arg::Text(s) => s.to_sql(ty, out),
            Arg::Blob(b) => b.to_sql(ty, out),
        }
    }

    fn accepts(_: &Type) -> bool {
        // Which types each kind goes to is decided per value, in `to_sql`.
        true
    }

    to_sql_checked!();
}

fn int_to_sql(i: i64, ty: &Type, out: &mut BytesMut) -> Result<IsNull, BoxError> {
    match *ty {
        Type::INT2 => i16::try_from(i)?.to_sql(ty, out),
        Type::INT4 => i32::try_from(i)?.to_sql(ty, out),
        Type::BOOL => (i != 0).to_sql(ty, out),
        Type::FLOAT8 => (i as f64).to_sql(ty, out),
        Type::TEXT | Type::VARCHAR => i.to_string().as_str().to_sql(ty, out),
        _ => i.to_sql(ty, out),
    }
}

/// What a column may be read as, from either backend.
pub trait FromCol: rusqlite::types::FromSql + Sized {
    #[doc(hidden)]
    type Pg: for<'a> FromSql<'a>;
    #[doc(hidden)]
    fn from_pg(value: Self::Pg) -> Result<Self, BoxError>;
}

/// An integer of any width PostgreSQL may give (a literal is INT4, a comparison BOOLEAN).
#[doc(hidden)]
#[derive(Debug)]
pub struct PgInt(i64);

impl<'a> FromSql<'a> for PgInt {
    fn from_sql(ty: &Type, raw: &'a [u8]) -> Result<Self, BoxError> {
        Ok(Self(match *ty {
            Type::INT2 => i64::from(i16::from_sql(ty, raw)?),
            Type::INT4 => i64::from(i32::from_sql(ty, raw)?),
            Type::BOOL => i64::from(bool::from_sql(ty, raw)?),
            Type::NUMERIC => {
                let n = numeric(raw)?;
                if n.fract() != 0.0 || n.abs() > 9.0e15 {
                    return Err(format!("{n} is not an integer").into());
                }
                n as i64
            }
            _ => i64::from_sql(ty, raw)?,
        }))
    }

    fn accepts(ty: &Type) -> bool {
        matches!(
            *ty,
            Type::INT2 | Type::INT4 | Type::INT8 | Type::BOOL | Type::NUMERIC
        )
    }
}

/// A number PostgreSQL may give as a float or an integer.
#[doc(hidden)]
#[derive(Debug)]
pub struct PgReal(f64);

impl<'a> FromSql<'a> for PgReal {
    fn from_sql(ty: &Type, raw: &'a [u8]) -> Result<Self, BoxError> {
        Ok(Self(match *ty {
            Type::FLOAT4 => f64::from(f32::from_sql(ty, raw)?),
            Type::FLOAT8 => f64::from_sql(ty, raw)?,
            Type::NUMERIC => numeric(raw)?,
            _ => PgInt::from_sql(ty, raw)?.0 as f64,
        }))
    }

    fn accepts(ty: &Type) -> bool {
        matches!(*ty, Type::FLOAT4 | Type::FLOAT8) || PgInt::accepts(ty)
    }
}

/// A NUMERIC (what PostgreSQL makes of `1.5`, `sum` and `avg`) from its binary form: base
/// 10,000 digits, the first weighted `weight`.
fn numeric(raw: &[u8]) -> Result<f64, BoxError> {
    let word = |i: usize| -> Result<i16, BoxError> {
        let bytes = raw.get(2 * i..2 * i + 2).ok_or("a short NUMERIC")?;
        Ok(i16::from_be_bytes([bytes[0], bytes[1]]))
    };
    let (count, weight, sign) = (word(0)?, word(1)?, word(2)? as u16);
    if sign == 0xC000 {
        return Err("NaN where a number was expected".into());
    }
    let mut value = 0.0;
    for i in 0..usize::try_from(count)? {
        let exponent = i32::from(weight) - i32::try_from(i)?;
        value += f64::from(word(4 + i)?) * 10_000f64.powi(exponent);
    }
    Ok(if sign == 0x4000 { -value } else { value })
}

macro_rules! int_cols {
    ($($t:ty),*) => {$(
        impl FromCol for $t {
            type Pg = PgInt;
            fn from_pg(value: PgInt) -> Result<Self, BoxError> {
                Ok(<$t>::try_from(value.0)?)
            }
        }
    )*};
}
int_cols!(i64, i32, u32, u16, u8);

impl FromCol for bool {
    type Pg = PgInt;
    fn from_pg(value: PgInt) -> Result<Self, BoxError> {
        Ok(value.0 != 0)
    }
}

impl FromCol for f64 {
    type Pg = PgReal;
    fn from_pg(value: PgReal) -> Result<Self, BoxError> {
        Ok(value.0)
    }
}

impl FromCol for String {
    type Pg = String;
    fn from_pg(value: String) -> Result<Self, BoxError> {
        Ok(value)
    }
}

impl FromCol for Vec<u8> {
    type Pg = Vec<u8>;
    fn from_pg(value: Vec<u8>) -> Result<Self, BoxError> {
        Ok(value)
    }
}

impl<T: FromCol> FromCol for Option<T> {
    type Pg = Option<T::Pg>;
    fn from_pg(value: Option<T::Pg>) -> Result<Self, BoxError> {
        value.map(T::from_pg).transpose()
    }
}
