//! Building one token's schema, part of the GraphQL front-end (`api/graphql/`):
//! async-graphql dynamic types from the model in `meta.rs` (only what the token
//! may see), wired to the resolvers of `resolve.rs`.
//!
//! Shape: `Query { <plural>(limit offset page sort filter or): [T!],
//! <singular>(id: ID!): T, <plural>_count(filter or): Int }` (root fields are
//! nullable so one failing field does not null its siblings), `Mutation {
//! createX(input: XCreateInput!, dry_run: Boolean): X, updateX(id: ID!, input:
//! XUpdateInput!, dry_run: Boolean): X, deleteX(id: ID!, dry_run: Boolean):
//! DeleteResult }`; each type `T` has its columns and relations (has-many as
//! `[U!]!` with `filter` and `limit`, belongs-to as `U`).

use std::sync::Arc;

use async_graphql::dynamic::{Field, FieldFuture, InputObject, InputValue, Object, Schema, SchemaError, TypeRef};

use super::limits::Limits;
use super::meta::{Meta, Root, TableMeta};
use super::resolve;
use super::types::{self, DELETE_RESULT, FILTER};

/// The schema of `meta`, with suggestions off, directives limited and
/// introspection only for admin and sandbox tokens.
pub fn build(meta: Arc<Meta>, limits: &Limits) -> Result<Schema, SchemaError> {
    let has_mutations = !meta.mutation.is_empty();
    let mut b = Schema::build("Query", has_mutations.then_some("Mutation"), None);
    for s in types::scalars() {
        b = b.register(s);
    }
    for i in 0..meta.tables.len() {
        b = b.register(object(&meta, i));
    }
    for (_, root) in &meta.mutation {
        match *root {
            Root::Create(i) => b = b.register(input(&meta.tables[i], true)),
            Root::Update(i) => b = b.register(input(&meta.tables[i], false)),
            _ => {}
        }
    }
    if meta.mutation.iter().any(|(_, r)| matches!(r, Root::Delete(_))) {
        b = b.register(delete_result());
    }
    b = b.register(query(&meta));
    if has_mutations {
        b = b.register(mutation(&meta));
    }
    b = b.disable_suggestions().limit_directives(limits.directives);
    if !meta.introspection {
        b = b.disable_introspection();
    }
    b.finish()
}

fn object(meta: &Arc<Meta>, i: usize) -> Object {
    let t = &meta.tables[i];
    let mut o = Object::new(&t.type_name).description(format!("A row of `{}`.", t.resource));
    for c in &t.columns {
        let ty = types::output_type(c.kind, c.big, c.non_null);
        o = o.field(Field::new(&c.field, ty, resolve::column(c.column.clone())));
    }
    for r in &t.relations {
        let target = &meta.tables[r.target].type_name;
        let f = if r.many {
            Field::new(&r.field, TypeRef::named_nn_list_nn(target), resolve::relation(meta.clone(), i, true))
                .argument(InputValue::new("filter", TypeRef::named(FILTER)))
                .argument(InputValue::new("limit", TypeRef::named(TypeRef::INT)))
        } else {
            Field::new(&r.field, TypeRef::named(target), resolve::relation(meta.clone(), i, false))
        };
        o = o.field(f.description(format!("Relation `{}` (embedded in one query per level).", r.relation)));
    }
    o
}

fn input(t: &TableMeta, create: bool) -> InputObject {
    let name = format!("{}{}Input", t.type_name, if create { "Create" } else { "Update" });
    let mut o = InputObject::new(name).description(format!(
        "Columns of `{}` to {}; validated like the REST body.",
        t.resource,
        if create { "create a row with" } else { "change" }
    ));
    for c in t.columns.iter().filter(|c| if create { c.create } else { c.update }) {
        o = o.field(InputValue::new(&c.field, TypeRef::named(types::scalar_of(c.kind, c.big))));
    }
    o
}

fn delete_result() -> Object {
    let f = |name: &str, ty: &str| Field::new(name, TypeRef::named_nn(ty), resolve::column(name.to_string()));
    Object::new(DELETE_RESULT)
        .description("The outcome of a delete.")
        .field(f("success", TypeRef::BOOLEAN))
        .field(f("message", TypeRef::STRING))
        .field(f("dry_run", TypeRef::BOOLEAN))
}

pub(super) fn filter_args(f: Field) -> Field {
    f.argument(InputValue::new("filter", TypeRef::named(FILTER))).argument(
        InputValue::new("or", TypeRef::named_nn_list(FILTER)).description("One OR group: any branch matches."),
    )
}

fn query(meta: &Arc<Meta>) -> Object {
    let mut q = Object::new("Query");
    for (name, root) in &meta.query {
        let f = match *root {
            Root::List(i) => {
                // Nullable, so a failing root field is `null` next to the others (GraphQL §6.4.4).
                let f =
                    Field::new(name, TypeRef::named_nn_list(&meta.tables[i].type_name), resolve::list(meta.clone(), i))
                        .argument(
                            InputValue::new("limit", TypeRef::named(TypeRef::INT)).description("Rows, 1 to 500 (25)."),
                        )
                        .argument(InputValue::new("offset", TypeRef::named(TypeRef::INT)))
                        .argument(
                            InputValue::new("page", TypeRef::named(TypeRef::INT))
                                .description("From 1, of `limit` rows."),
                        )
                        .argument(
                            InputValue::new("sort", TypeRef::named(TypeRef::STRING)).description("\"-total,date\""),
                        );
                filter_args(f)
            }
            Root::One(i) => Field::new(name, TypeRef::named(&meta.tables[i].type_name), resolve::one(meta.clone(), i))
                .argument(InputValue::new("id", TypeRef::named_nn(TypeRef::ID))),
            Root::Count(i) => {
                filter_args(Field::new(name, TypeRef::named(TypeRef::INT), resolve::count(meta.clone(), i)))
            }
            Root::Aggregate(i) => super::aggregate::field(meta.clone(), i, name),
            Root::View(i) => {
                let f = Field::new(name, TypeRef::named(types::JSON), resolve::view(meta.clone(), i))
                    .argument(
                        InputValue::new("params", TypeRef::named(types::JSON))
                            .description("The view's parameters, by name."),
                    )
                    .argument(
                        InputValue::new("limit", TypeRef::named(TypeRef::INT)).description("Rows, 1 to 500 (25)."),
                    )
                    .argument(InputValue::new("page", TypeRef::named(TypeRef::INT)))
                    .argument(InputValue::new("sort", TypeRef::named(TypeRef::STRING)));
                q = q.field(f.description(format!("Saved view `{}`: its rows as JSON.", meta.views[i].slug)));
                continue;
            }
            Root::Report(i) => {
                let f = Field::new(name, TypeRef::named(types::JSON), resolve::report(meta.clone(), i)).argument(
                    InputValue::new("params", TypeRef::named(types::JSON))
                        .description("The report's parameters, by name."),
                );
                q = q.field(f.description(format!("Report `{}`: `{{data, meta}}` as JSON.", meta.reports[i].slug)));
                continue;
            }
            _ => continue,
        };
        q = q.field(f.description(format!("`{}`", meta.tables[table_of(*root)].resource)));
    }
    if meta.query.is_empty() {
        q = q.field(Field::new("_empty", TypeRef::named(TypeRef::BOOLEAN), |_| FieldFuture::from_value(None)));
    }
    q
}

fn mutation(meta: &Arc<Meta>) -> Object {
    let mut m = Object::new("Mutation");
    let dry =
        || InputValue::new("dry_run", TypeRef::named(TypeRef::BOOLEAN)).description("Roll back; answer as if written.");
    let id = || InputValue::new("id", TypeRef::named_nn(TypeRef::ID));
    for (name, root) in &meta.mutation {
        let f = match *root {
            Root::Create(i) => {
                let t = &meta.tables[i];
                Field::new(name, TypeRef::named(&t.type_name), resolve::create(meta.clone(), i))
                    .argument(InputValue::new("input", TypeRef::named_nn(format!("{}CreateInput", t.type_name))))
            }
            Root::Update(i) => {
                let t = &meta.tables[i];
                Field::new(name, TypeRef::named(&t.type_name), resolve::update(meta.clone(), i))
                    .argument(id())
                    .argument(InputValue::new("input", TypeRef::named_nn(format!("{}UpdateInput", t.type_name))))
            }
            Root::Delete(i) => {
                Field::new(name, TypeRef::named(DELETE_RESULT), resolve::delete(meta.clone(), i)).argument(id())
            }
            _ => continue,
        };
        m = m.field(f.argument(dry()));
    }
    m
}

fn table_of(root: Root) -> usize {
    match root {
        Root::List(i)
        | Root::One(i)
        | Root::Count(i)
        | Root::Aggregate(i)
        | Root::Create(i)
        | Root::Update(i)
        | Root::Delete(i) => i,
        Root::View(_) | Root::Report(_) => 0,
    }
}
