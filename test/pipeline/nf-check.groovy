/*
 * nf-check: a static checker for Nextflow DSL2 pipelines, for machines where Nextflow cannot run.
 *
 * Every .nf and .config file is parsed by the Groovy 4 parser (the language Nextflow scripts are written in)
 * to its syntax tree (compiler phase CONVERSION: no class resolution, so the DSL's free names parse as they
 * do in Nextflow), and the tree is walked for what Nextflow itself resolves when it starts a run:
 *
 *   - includes (names, aliases, paths), processes (directives, inputs with qualifiers, outputs with `emit:`,
 *     script/stub commands as templates), workflows (take/emit, calls, X.out references, channel variables),
 *     functions, params of nextflow.config (and of the files and profiles it includes);
 *   - issues: syntax errors, calls of undefined processes/workflows, include paths that do not exist or do
 *     not define the included name, X.out.y where X has no `emit: y`, X.out used before X is invoked,
 *     wrong process/workflow arity, a component invoked twice, channel variables used before they are
 *     assigned (or assigned only under another `if`), params used but not declared in nextflow.config;
 *   - the DAG of the entry workflow: process nodes (sub-workflows inlined as WORKFLOW:PROCESS), edges from
 *     process outputs (by emit name) to process inputs (by position and name), and params feeding inputs.
 *
 * Usage: java -cp groovy-4.x.jar:groovy-json-4.x.jar groovy.ui.GroovyMain nf-check.groovy ROOT [ROOT…]
 * Prints one JSON array (one result per root) on stdout; exit code 0 even when issues are found (the
 * caller decides), 2 on bad usage.
 *
 * The walk is an over-approximation where Nextflow's semantics are dynamic: a channel expression's sources
 * are every process output and param it mentions (through operators and closures), and an `if` condition
 * is compared as text, so `if (params.x) { a = … }` … `if (params.x) { use(a) }` counts as assigned.
 */
import groovy.json.JsonOutput
import org.codehaus.groovy.ast.ASTNode
import org.codehaus.groovy.ast.CodeVisitorSupport
import org.codehaus.groovy.ast.ModuleNode
import org.codehaus.groovy.ast.expr.*
import org.codehaus.groovy.ast.stmt.*
import org.codehaus.groovy.control.CompilationUnit
import org.codehaus.groovy.control.CompilerConfiguration
import org.codehaus.groovy.control.MultipleCompilationErrorsException
import org.codehaus.groovy.control.Phases
import org.codehaus.groovy.control.messages.ExceptionMessage
import org.codehaus.groovy.control.messages.SyntaxErrorMessage

/** Collects issues, deduplicated (a sub-workflow body is walked once standalone and once per call). */
class Issues {
    List<Map> list = []
    private Set<String> seen = new HashSet<>()

    void add(String kind, String file, int line, int column, String message) {
        String key = "${kind}|${file}|${line}|${column}|${message}"
        if (seen.add(key)) list << [kind: kind, file: file, line: line, column: column, message: message]
    }

    void add(String kind, String file, ASTNode node, String message) {
        add(kind, file, Math.max(node?.lineNumber ?: 0, 0), Math.max(node?.columnNumber ?: 0, 0), message)
    }
}

class Ast {
    /** Parses one file to its syntax tree; syntax errors become issues and give null. */
    static ModuleNode parse(File f, String rel, Issues issues) {
        CompilationUnit cu = new CompilationUnit(new CompilerConfiguration())
        def su = cu.addSource(f)
        try {
            cu.compile(Phases.CONVERSION)
            return su.AST
        } catch (MultipleCompilationErrorsException e) {
            for (msg in e.errorCollector.errors) {
                if (msg instanceof SyntaxErrorMessage) {
                    def c = msg.cause
                    String m = c.originalMessage
                    // the parser stops at the block whose content it cannot match, not at the faulty token
                    if (m.startsWith("Unexpected input: '{'")) m += ' (the block opened here is malformed: look inside it for an unclosed ( or [, or a missing argument)'
                    issues.add('syntax', rel, c.startLine, c.startColumn, "syntax error: ${m}")
                } else if (msg instanceof ExceptionMessage) {
                    issues.add('syntax', rel, 0, 0, "syntax error: ${msg.cause.message}")
                } else {
                    issues.add('syntax', rel, 0, 0, "syntax error: ${msg}")
                }
            }
            return null
        }
    }

    /** `this.NAME(args)`: a call with no receiver (how DSL keywords and process invocations parse). */
    static boolean isBareCall(Expression e, String name = null) {
        e instanceof MethodCallExpression && e.implicitThis && (name == null || e.methodAsString == name)
    }

    static List<Expression> args(MethodCallExpression c) {
        def a = c.arguments
        if (a instanceof TupleExpression) return a.expressions
        return [a]
    }

    /** Positional arguments and named options (`emit: x`) of a call such as `path 'x', emit: y`. */
    static Map splitArgs(MethodCallExpression c) {
        List<Expression> positional = []
        Map<String, Expression> options = [:]
        for (Expression a in args(c)) {
            if (a instanceof MapExpression) {
                for (MapEntryExpression me in a.mapEntryExpressions) options[me.keyExpression.text] = me.valueExpression
            } else {
                positional << a
            }
        }
        [positional: positional, options: options]
    }

    static List<Statement> statements(Statement s) {
        if (s instanceof BlockStatement) return s.statements
        if (s == null || s instanceof EmptyStatement) return []
        return [s]
    }

    static List<Statement> closureStatements(ClosureExpression c) { statements(c.code) }

    /** The identifier an expression starts from: `chunk` in `chunk.replace('/', 'of')`. */
    static String rootName(Expression e) {
        if (e instanceof VariableExpression) return e.name
        if (e instanceof PropertyExpression) return rootName(e.objectExpression)
        if (e instanceof MethodCallExpression && !e.implicitThis) return rootName(e.objectExpression)
        return null
    }

    /** Groovy-like source text of an expression (the AST's own text adds `this.` and drops quotes). */
    static String text(Expression e) {
        if (e instanceof ConstantExpression) return e.value instanceof String ? "'${e.value}'" : String.valueOf(e.value)
        if (e instanceof GStringExpression) return '"' + e.verbatimText + '"'
        if (e instanceof MethodCallExpression && e.implicitThis) {
            return "${e.methodAsString}(${args(e).collect { text(it) }.join(', ')})"
        }
        return e.text
    }

    /** A string or GString as text parts and interpolated expressions; null for anything else. */
    static Map template(Expression e) {
        List<Map> parts = []
        if (e instanceof ConstantExpression && e.value instanceof String) {
            parts << [text: e.value]
        } else if (e instanceof GStringExpression) {
            List<ConstantExpression> strings = e.strings
            List<Expression> values = e.values
            for (int i = 0; i < strings.size(); i++) {
                if (strings[i].value) parts << [text: strings[i].value]
                if (i < values.size()) parts << slot(values[i])
            }
        } else {
            return null
        }
        [text: parts.collect { it.containsKey('text') ? it.text : '${' + it.expr + '}' }.join(''), parts: parts,
         line: e.lineNumber]
    }

    static Map slot(Expression v) {
        Map s = [expr: text(v)]
        String root = rootName(v)
        if (root) s.root = root
        if (v instanceof PropertyExpression && v.objectExpression instanceof VariableExpression) {
            String owner = v.objectExpression.name
            if (owner in ['params', 'task']) s[owner] = v.propertyAsString
        }
        s
    }

    /** The string values an expression can take: both arms of a ternary/elvis, or one string; else null. */
    static List<Map> alternatives(Expression e) {
        if (e instanceof TernaryExpression) {
            def a = alternatives(e.trueExpression)
            def b = alternatives(e.falseExpression)
            return a != null && b != null ? a + b : null
        }
        def t = template(e)
        t ? [t] : null
    }

    /** JSON value of a config/literal expression: constants, negative numbers, lists; else {expr: text}. */
    static Object literal(Expression e) {
        if (e instanceof ConstantExpression) return e.value
        if (e instanceof UnaryMinusExpression && e.expression instanceof ConstantExpression && e.expression.value instanceof Number) {
            return -(e.expression.value as BigDecimal)
        }
        if (e instanceof ListExpression) return e.expressions.collect { literal(it) }
        [expr: text(e)]
    }

    /** Condition text used to compare `if` guards; `!` of a negation cancels. */
    static String condition(Expression e) {
        if (e instanceof NotExpression) return negate(condition(e.expression)) // (a BooleanExpression too)
        if (e instanceof BooleanExpression) e = e.expression
        String t = text(e)
        // the AST's text of a binary expression is parenthesized
        return e instanceof BinaryExpression && t.startsWith('(') && t.endsWith(')') ? t.substring(1, t.length() - 1) : t
    }

    /** The conditions an `if` adds to its guard: each operand of a top-level `&&`. */
    static List<String> conjuncts(Expression e) {
        if (e instanceof BooleanExpression && !(e instanceof NotExpression)) e = e.expression
        if (e instanceof BinaryExpression && e.operation.text == '&&') return conjuncts(e.leftExpression) + conjuncts(e.rightExpression)
        [condition(e)]
    }

    /** What the else branch of an `if` adds to its guard. */
    static List<String> negation(Expression e) {
        def c = conjuncts(e)
        c.size() == 1 ? [negate(c[0])] : ['!(' + c.join(' && ') + ')']
    }

    static String negate(String c) { c.startsWith('!') ? c.substring(1) : '!' + c }

    static Map pos(ASTNode n) { [line: Math.max(n.lineNumber, 0), column: Math.max(n.columnNumber, 0)] }
}

/** params.NAME (and params['NAME']) anywhere in a syntax tree. */
class ParamUses extends CodeVisitorSupport {
    List<Map> uses = []
    /** In a config file `params.x = …` declares x; in a script it is a use (params belong in nextflow.config). */
    boolean assignmentIsUse = true

    @Override
    void visitPropertyExpression(PropertyExpression e) {
        if (e.objectExpression instanceof VariableExpression && e.objectExpression.name == 'params' && e.propertyAsString) {
            uses << [name: e.propertyAsString] + Ast.pos(e)
        }
        super.visitPropertyExpression(e)
    }

    @Override
    void visitBinaryExpression(BinaryExpression e) {
        if (!assignmentIsUse && e.operation.text == '=' && e.leftExpression instanceof PropertyExpression &&
                e.leftExpression.objectExpression instanceof VariableExpression && e.leftExpression.objectExpression.name == 'params') {
            e.rightExpression.visit(this)
            return
        }
        if (e.operation.text == '[' && e.leftExpression instanceof VariableExpression && e.leftExpression.name == 'params' &&
                e.rightExpression instanceof ConstantExpression && e.rightExpression.value instanceof String) {
            uses << [name: e.rightExpression.value] + Ast.pos(e)
        }
        super.visitBinaryExpression(e)
    }

    static List<Map> of(ModuleNode m, boolean assignmentIsUse = true) {
        def v = new ParamUses(assignmentIsUse: assignmentIsUse)
        m.statementBlock.visit(v)
        m.methods.each { it.code?.visit(v) }
        v.uses
    }
}

/** What one .nf file defines and includes. */
class NfFile {
    String rel
    File file
    ModuleNode ast
    List<Map> includes = []
    Map<String, Map> processes = [:]
    Map<String, Map> workflows = [:]          // '' = the entry (unnamed) workflow
    Map<String, ClosureExpression> workflowBodies = [:]
    List<String> functions = []
    List<Map> paramUses = []

    Map toJson() {
        [path: rel, includes: includes, processes: processes.values(), workflows: workflows.values(),
         functions: functions]
    }
}

class Extract {
    static final Set<String> PROCESS_SECTIONS = ['input', 'output', 'script', 'shell', 'exec', 'stub', 'when'] as Set
    static final Set<String> WORKFLOW_SECTIONS = ['take', 'main', 'emit', 'publish'] as Set

    static NfFile nfFile(File f, String rel, Issues issues) {
        def nf = new NfFile(rel: rel, file: f)
        nf.ast = Ast.parse(f, rel, issues)
        if (nf.ast == null) return nf
        nf.functions = nf.ast.methods*.name
        for (Statement st in nf.ast.statementBlock.statements) {
            if (!(st instanceof ExpressionStatement)) continue
            Expression e = st.expression
            if (Ast.isBareCall(e, 'process')) {
                def def_ = definition(e)
                if (def_ == null) { issues.add('syntax', rel, st, 'process: expected `process NAME { … }`'); continue }
                nf.processes[def_.name] = process(def_.name, def_.body, def_.call, rel, issues)
            } else if (Ast.isBareCall(e, 'workflow')) {
                def args = Ast.args(e)
                if (args.size() == 1 && args[0] instanceof ClosureExpression) {
                    nf.workflows[''] = workflow(null, args[0], e, rel, issues)
                    nf.workflowBodies[''] = args[0]
                } else {
                    def def_ = definition(e)
                    if (def_ == null) { issues.add('syntax', rel, st, 'workflow: expected `workflow [NAME] { … }`'); continue }
                    nf.workflows[def_.name] = workflow(def_.name, def_.body, def_.call, rel, issues)
                    nf.workflowBodies[def_.name] = def_.body
                }
            } else {
                Map inc = include(e, rel, issues)
                if (inc) nf.includes.addAll(inc.names.collect { it + [from: inc.from, fromExpr: inc.fromExpr] })
            }
        }
        nf.paramUses = ParamUses.of(nf.ast)
        nf
    }

    /** `process NAME { … }` parses as process(NAME({ … })). */
    static Map definition(MethodCallExpression outer) {
        def args = Ast.args(outer)
        if (args.size() != 1 || !Ast.isBareCall(args[0])) return null
        MethodCallExpression inner = args[0]
        def innerArgs = Ast.args(inner)
        if (innerArgs.size() != 1 || !(innerArgs[0] instanceof ClosureExpression)) return null
        [name: inner.methodAsString, body: innerArgs[0], call: inner]
    }

    /** `include { A; B as C } from './path' [addParams(…)]`. */
    static Map include(Expression e, String rel, Issues issues) {
        while (e instanceof MethodCallExpression && !e.implicitThis && e.methodAsString in ['addParams', 'params']) {
            e = e.objectExpression
        }
        if (Ast.isBareCall(e, 'include')) {
            issues.add('include-path', rel, e, 'include without `from \'PATH\'`')
            return null
        }
        if (!(e instanceof MethodCallExpression) || e.implicitThis || e.methodAsString != 'from' ||
                !Ast.isBareCall(e.objectExpression, 'include')) return null
        MethodCallExpression from = e
        def incArgs = Ast.args(from.objectExpression)
        if (incArgs.size() != 1 || !(incArgs[0] instanceof ClosureExpression)) {
            issues.add('syntax', rel, e, 'include: expected `include { NAME [as ALIAS]; … } from \'PATH\'`')
            return null
        }
        List<Map> names = []
        for (Statement s in Ast.closureStatements(incArgs[0])) {
            Expression x = s instanceof ExpressionStatement ? s.expression : null
            if (x instanceof VariableExpression) {
                names << [name: x.name, alias: null] + Ast.pos(x)
            } else if (x instanceof CastExpression && x.expression instanceof VariableExpression) {
                names << [name: x.expression.name, alias: x.type.name] + Ast.pos(x)
            } else {
                issues.add('syntax', rel, s, "include: expected a name or `NAME as ALIAS`, found ${x ? Ast.text(x) : s.text}")
            }
        }
        def fromArgs = Ast.args(from)
        def t = fromArgs.size() == 1 ? Ast.template(fromArgs[0]) : null
        [names: names, from: t?.parts?.every { it.containsKey('text') } ? t.text : null,
         fromExpr: t ? t.text : (fromArgs ? Ast.text(fromArgs[0]) : null)]
    }

    /** The section (`input:`, `take:`, …) a statement opens, else the current one; an unknown label is an issue. */
    static String sectionOf(Statement st, String current, Set<String> allowed, String owner, String rel, Issues issues) {
        if (!st.statementLabels) return current
        String s = st.statementLabels[-1]
        if (!(s in allowed)) {
            issues.add('syntax', rel, st, "${owner}: unknown section `${s}:` (expected ${allowed.collect { it + ':' }.join(' ')})")
        }
        s
    }

    static Map process(String name, ClosureExpression body, ASTNode at, String rel, Issues issues) {
        Map p = [name: name] + Ast.pos(at) + [directives: [], inputs: [], outputs: [], script: null, stub: null]
        String section = null
        List<Statement> script = [], stub = []
        for (Statement st in Ast.closureStatements(body)) {
            section = sectionOf(st, section, PROCESS_SECTIONS, "process ${name}", rel, issues)
            Expression e = st instanceof ExpressionStatement ? st.expression : null
            // a process without `script:` ends with its command string
            if (section in [null, 'input', 'output'] && Ast.template(e) != null && st.is(Ast.closureStatements(body)[-1])) {
                script << st
                p.scriptKind = 'script'
                continue
            }
            switch (section) {
                case null:
                    if (Ast.isBareCall(e)) {
                        p.directives << [name: e.methodAsString, values: Ast.args(e).collect { Ast.literal(it) }] + Ast.pos(e)
                    } else {
                        issues.add('syntax', rel, st, "process ${name}: expected a directive, found ${st.text}")
                    }
                    break
                case 'input':
                    p.inputs << declaration(st, name, 'input', rel, issues)
                    break
                case 'output':
                    p.outputs << declaration(st, name, 'output', rel, issues)
                    break
                case 'script': case 'shell': case 'exec':
                    p.scriptKind = section
                    script << st
                    break
                case 'stub':
                    stub << st
                    break
            }
        }
        p.inputs = p.inputs.findAll { it }
        p.outputs = p.outputs.findAll { it }
        if (script) p.script = commandBlock(script)
        else issues.add('syntax', rel, at, "process ${name} has no script: (or shell:/exec:) block")
        if (stub) p.stub = commandBlock(stub)
        p
    }

    /** An input or output declaration: qualifier, names (inputs), file patterns and emit name (outputs). */
    static Map declaration(Statement st, String proc, String kind, String rel, Issues issues) {
        Expression e = st instanceof ExpressionStatement ? st.expression : null
        if (e instanceof VariableExpression) return [qualifier: e.name, names: [], patterns: []] + Ast.pos(e) // stdin, stdout
        if (!Ast.isBareCall(e)) {
            issues.add('syntax', rel, st, "process ${proc}: expected an ${kind} declaration (path x, val x, tuple …), found ${st.text}")
            return null
        }
        MethodCallExpression c = e
        def a = Ast.splitArgs(c)
        Map d = [qualifier: c.methodAsString, names: [], patterns: [], components: []] + Ast.pos(c)
        for (Expression x in a.positional) component(x, c.methodAsString, d)
        if (kind == 'output') {
            Expression emit = a.options.emit
            d.emit = emit instanceof VariableExpression ? emit.name : emit instanceof ConstantExpression ? emit.value : null
            Expression optional = a.options.optional
            d.optional = optional instanceof ConstantExpression ? optional.value == true : false
        } else {
            d.name = d.names.join(',')
        }
        d
    }

    static void component(Expression x, String qualifier, Map d) {
        if (Ast.isBareCall(x)) {
            def inner = Ast.splitArgs(x).positional
            inner.each { component(it, x.methodAsString, d) }
            return
        }
        if (x instanceof VariableExpression) {
            d.names << x.name
            d.components << [qualifier: qualifier, name: x.name]
        } else {
            def t = Ast.template(x)
            if (t && qualifier in ['path', 'file']) d.patterns << t
            d.components << [qualifier: qualifier, value: t ? t.text : Ast.text(x)]
        }
    }

    /** Locals (`def x = …`) and the command string(s) of a script/stub section. */
    static Map commandBlock(List<Statement> sts) {
        List<Map> locals = []
        List<Map> commands = []
        for (int i = 0; i < sts.size(); i++) {
            Statement st = sts[i]
            Expression e = st instanceof ExpressionStatement ? st.expression : null
            if (e instanceof BinaryExpression && e.operation.text == '=' && e.leftExpression instanceof VariableExpression) {
                locals << [name: e.leftExpression.name, alternatives: Ast.alternatives(e.rightExpression),
                           expr: Ast.text(e.rightExpression)] + Ast.pos(e)
            } else if (i == sts.size() - 1) {
                commands.addAll(finalStrings(st))
            }
        }
        [locals: locals, commands: commands, line: sts[0].lineNumber]
    }

    /** The string a block ends with, through if/else. */
    static List<Map> finalStrings(Statement st) {
        if (st instanceof BlockStatement) return st.statements ? finalStrings(st.statements[-1]) : []
        if (st instanceof IfStatement) return finalStrings(st.ifBlock) + finalStrings(st.elseBlock)
        if (st instanceof ReturnStatement) return Ast.alternatives(st.expression) ?: []
        if (st instanceof ExpressionStatement) return Ast.alternatives(st.expression) ?: []
        []
    }

    static Map workflow(String name, ClosureExpression body, ASTNode at, String rel, Issues issues) {
        Map w = [name: name] + Ast.pos(at) + [takes: [], emits: []]
        String section = 'main'
        for (Statement st in Ast.closureStatements(body)) {
            section = sectionOf(st, section, WORKFLOW_SECTIONS, "workflow ${name ?: '(entry)'}", rel, issues)
            Expression e = st instanceof ExpressionStatement ? st.expression : null
            if (section == 'take') {
                if (e instanceof VariableExpression) w.takes << e.name
                else issues.add('syntax', rel, st, "workflow ${name}: take: expects channel names, found ${st.text}")
            } else if (section == 'emit') {
                if (e instanceof VariableExpression) w.emits << [name: e.name] + Ast.pos(e)
                else if (e instanceof BinaryExpression && e.operation.text == '=' && e.leftExpression instanceof VariableExpression) {
                    w.emits << [name: e.leftExpression.name] + Ast.pos(e)
                } else issues.add('syntax', rel, st, "workflow ${name}: emit: expects `name` or `name = channel`, found ${st.text}")
            }
        }
        w
    }
}

/** One process or workflow a file can call: defined there or included (under its alias). */
class Component {
    String kind          // process | workflow | function
    String name          // as defined
    NfFile file
    Map model            // the process/workflow model

    List<String> emitNames() {
        kind == 'process' ? model.outputs*.emit : model.emits*.name
    }

    int arity() { kind == 'process' ? model.inputs.size() : model.takes.size() }

    List<String> inputNames() { kind == 'process' ? model.inputs*.name : model.takes }
}

/** Definitions one guard (list of `if` conditions) makes visible. */
class Assignment {
    List<String> guard
    Set<Map> sources
    int line
}

/**
 * Walks one workflow body in statement order: resolves calls and X.out references against the file's
 * components, tracks channel variables under `if` guards, and builds the process DAG.
 */
class WorkflowWalker extends CodeVisitorSupport {
    static final Set<String> GLOBALS = ['params', 'Channel', 'channel', 'workflow', 'nextflow', 'projectDir', 'baseDir',
                                        'launchDir', 'workDir', 'moduleDir', 'log', 'it', 'this', 'super', 'secrets',
                                        'session', 'args'] as Set

    Checker checker
    NfFile nf
    Map<String, Component> components
    String prefix
    List<String> stack         // workflow definitions being walked (cycle guard)
    Map<String, List<Assignment>> env = [:]
    Map<String, Integer> assignedLater = [:]
    Map<String, List<Map>> invoked = [:]               // local name → [guard, line]
    Map<String, Map<String, Set<Map>>> outSources = [:] // local name → emit → sources
    List<String> guard = []
    Deque<Set<String>> scopes = new ArrayDeque<>()
    Set<Map> acc = null
    List<Map> nodes = []
    List<Map> edges = []
    List<Map> assigned = []
    List<Map> used = []
    List<Map> calls = []

    Issues getIssues() { checker.issues }

    /** Walks a workflow; `argSources` gives each take: its sources (null: the take's own name). */
    Map<String, Set<Map>> walk(String wfName, List<Set<Map>> argSources) {
        ClosureExpression body = nf.workflowBodies[wfName]
        Map model = nf.workflows[wfName]
        model.takes.eachWithIndex { String t, int i ->
            Set<Map> given = argSources != null && i < argSources.size() ? argSources[i] : ([[take: t]] as Set)
            env[t] = [new Assignment(guard: [], sources: given, line: model.line)]
        }
        // variables of the script's top level (`def x = …` outside any workflow) are visible in its workflows
        for (Statement st in nf.ast.statementBlock.statements) {
            Expression e = st instanceof ExpressionStatement ? st.expression : null
            if (e instanceof BinaryExpression && e.operation.text == '=' && e.leftExpression instanceof VariableExpression) {
                define(e.leftExpression.name, collect(e.rightExpression), e.lineNumber)
            }
        }
        def later = new AssignedNames()
        body.code.visit(later)
        assignedLater = later.first
        String section = 'main'
        Map<String, Set<Map>> emits = [:]
        for (Statement st in Ast.closureStatements(body)) {
            if (st.statementLabels) section = st.statementLabels[-1]
            if (section == 'take') continue
            if (section == 'emit') {
                Expression e = st instanceof ExpressionStatement ? st.expression : null
                if (e instanceof BinaryExpression && e.operation.text == '=' && e.leftExpression instanceof VariableExpression) {
                    emits[e.leftExpression.name] = collect(e.rightExpression)
                } else if (e != null) {
                    emits[e instanceof VariableExpression ? e.name : Ast.text(e)] = collect(e)
                }
                continue
            }
            st.visit(this)
        }
        emits
    }

    // ---- definitions under guards

    void define(String name, Set<Map> sources, int line) {
        // a channel reassigned under a narrower condition (`ch = ch.mix(X.out.y)` inside an `if`) may carry X's
        // outputs wherever the outer assignment is seen: for the DAG, its sources join the outer ones
        for (Assignment outer in visible(name)) {
            if (outer.guard.size() < guard.size()) outer.sources.addAll(sources)
        }
        env.computeIfAbsent(name) { [] } << new Assignment(guard: guard.clone() as List, sources: sources, line: line)
        assigned << [name: name, line: line]
    }

    static boolean within(List<String> inner, List<String> outer) { outer.containsAll(inner) }

    List<Assignment> visible(String name, List<String> g = guard) {
        (env[name] ?: []).findAll { within(it.guard, g) }
    }

    Set<Map> collect(Expression e) {
        Set<Map> saved = acc
        acc = new LinkedHashSet<>()
        e.visit(this)
        Set<Map> got = acc
        acc = saved
        acc?.addAll(got)
        got
    }

    private void emitSources(Collection<Map> s) { acc?.addAll(s) }

    private boolean inClosure(String name) { scopes.any { name in it } }

    // ---- statements

    @Override
    void visitIfElse(IfStatement s) {
        s.booleanExpression.visit(this)
        List<String> outer = guard
        guard = outer + Ast.conjuncts(s.booleanExpression)
        s.ifBlock.visit(this)
        List<String> thenGuard = guard
        guard = outer + Ast.negation(s.booleanExpression)
        s.elseBlock.visit(this)
        List<String> elseGuard = guard
        guard = outer
        // a name assigned on both arms is assigned after the if
        for (String name in env.keySet().toList()) {
            if (visible(name, outer)) continue
            def t = visible(name, thenGuard)
            def f = visible(name, elseGuard)
            if (t && f) {
                env[name] << new Assignment(guard: outer, sources: (t + f).collectMany { it.sources } as Set,
                        line: s.lineNumber)
            }
        }
    }

    // ---- expressions

    @Override
    void visitClosureExpression(ClosureExpression c) {
        Set<String> names = new HashSet<>(['it'])
        c.parameters?.each { names << it.name }
        scopes.push(names)
        c.code.visit(this)
        scopes.pop()
    }

    @Override
    void visitDeclarationExpression(DeclarationExpression e) { visitBinaryExpression(e) }

    @Override
    void visitBinaryExpression(BinaryExpression e) {
        String op = e.operation.text
        if (op == '=') {
            List<VariableExpression> targets = e.leftExpression instanceof VariableExpression ? [e.leftExpression] :
                    e.leftExpression instanceof TupleExpression ? e.leftExpression.expressions.findAll { it instanceof VariableExpression } : []
            if (targets) {
                Set<Map> s = collect(e.rightExpression)
                for (VariableExpression v in targets) {
                    if (scopes) scopes.peek() << v.name
                    else define(v.name, s, e.lineNumber)
                }
                return
            }
        }
        if (op == '|' && e.rightExpression instanceof VariableExpression && components[e.rightExpression.name]?.kind in ['process', 'workflow']) {
            Set<Map> s = collect(e.leftExpression)
            emitSources(call(e.rightExpression.name, [s], [e.leftExpression], e.rightExpression))
            return
        }
        if (op == '[' && isOut(e.leftExpression)) {
            String x = e.leftExpression.objectExpression.name
            Expression idx = e.rightExpression
            if (idx instanceof ConstantExpression && idx.value instanceof Integer) {
                outRef(x, null, idx.value as int, e)
            } else {
                outRef(x, null, null, e)
                idx.visit(this)
            }
            return
        }
        super.visitBinaryExpression(e)
    }

    /** X.out for a component X. */
    private boolean isOut(Expression e) {
        e instanceof PropertyExpression && e.propertyAsString == 'out' && e.objectExpression instanceof VariableExpression &&
                (components.containsKey(e.objectExpression.name) || Character.isUpperCase(e.objectExpression.name.charAt(0)))
    }

    @Override
    void visitPropertyExpression(PropertyExpression e) {
        if (isOut(e.objectExpression)) {
            outRef(e.objectExpression.objectExpression.name, e.propertyAsString, null, e)
            return
        }
        if (isOut(e)) {
            outRef(e.objectExpression.name, null, null, e)
            return
        }
        if (e.objectExpression instanceof VariableExpression && e.objectExpression.name == 'params') {
            emitSources([[param: e.propertyAsString]])
            return
        }
        super.visitPropertyExpression(e)
    }

    @Override
    void visitMethodCallExpression(MethodCallExpression c) {
        String m = c.methodAsString
        if (c.implicitThis && m) {
            Component comp = components[m]
            if (comp?.kind == 'unresolved') {
                c.arguments.visit(this)
                return
            }
            if (comp?.kind in ['process', 'workflow']) {
                def args = Ast.args(c)
                emitSources(call(m, args.collect { collect(it) }, args, c))
                return
            }
            if (comp == null && Character.isUpperCase(m.charAt(0))) {
                issues.add('undefined-component', nf.rel, c,
                        "${m} is not a process or workflow defined in ${nf.rel} or included by it")
            }
        }
        if (!c.implicitThis && m in ['set', 'tap']) {
            def args = Ast.args(c)
            def stmts = args.size() == 1 && args[0] instanceof ClosureExpression ? Ast.closureStatements(args[0]) : []
            if (stmts.size() == 1 && stmts[0] instanceof ExpressionStatement && stmts[0].expression instanceof VariableExpression) {
                Set<Map> s = collect(c.objectExpression)
                define(stmts[0].expression.name, s, c.lineNumber)
                emitSources(s)
                return
            }
        }
        super.visitMethodCallExpression(c)
    }

    @Override
    void visitVariableExpression(VariableExpression v) {
        String name = v.name
        if (inClosure(name) || name in GLOBALS) return
        if (components.containsKey(name)) return
        List<Assignment> seen = visible(name)
        if (seen) {
            used << [name: name, line: v.lineNumber]
            emitSources(seen.collectMany { it.sources })
            return
        }
        if (env.containsKey(name)) {
            Assignment a = env[name][0]
            String when = a.guard.findAll { !(it in guard) }.collect { "`${it}`" }.join(' and ')
            issues.add('unassigned-channel', nf.rel, v,
                    "`${name}` may be unassigned here: it is assigned (line ${a.line}) only when ${when}; assign it before the `if` (e.g. Channel.empty()) or use it under the same condition")
            return
        }
        if (assignedLater.containsKey(name)) {
            issues.add('unassigned-channel', nf.rel, v, "`${name}` is used before it is assigned (line ${assignedLater[name]})")
            return
        }
        if (Character.isUpperCase(name.charAt(0))) return // a class (Math, System, …)
        issues.add('unassigned-channel', nf.rel, v,
                "`${name}` is not defined: no assignment, take: or include in ${nf.rel} gives it")
    }

    // ---- components

    /** An invocation of a process or workflow: arity, duplicates, DAG node and edges; returns its outputs. */
    Set<Map> call(String local, List<Set<Map>> argSources, List<Expression> argExprs, ASTNode at) {
        Component comp = components[local]
        String id = prefix + local
        int want = comp.arity()
        if (argSources.size() != want) {
            issues.add('arity', nf.rel, at,
                    "${local} takes ${want} input${want == 1 ? '' : 's'} (${comp.inputNames().join(', ')}) " +
                            "but is called with ${argSources.size()} argument${argSources.size() == 1 ? '' : 's'}")
        }
        def earlier = (invoked[local] ?: []).find { !exclusive(it.guard, guard) }
        if (earlier) {
            issues.add('duplicate-call', nf.rel, at,
                    "${local} is invoked again (first at line ${earlier.line}): include it a second time under another name (include { ${comp.name} as ${comp.name}_2 })")
        }
        invoked.computeIfAbsent(local) { [] } << [guard: guard.clone(), line: at.lineNumber]
        List<Map> args = argExprs.collect { Expression a ->
            def lit = Ast.literal(a)
            lit instanceof Map ? [expr: Ast.text(a)] : [value: lit]
        }
        calls << [file: nf.rel, name: local, component: comp.name, kind: comp.kind,
                          definedIn: comp.file.rel, args: args] + Ast.pos(at)
        Map<String, Set<Map>> outs = [:]
        if (comp.kind == 'process') {
            nodes << [id: id, name: local, process: comp.name, module: comp.file.rel, guard: guard.clone(), args: args] + Ast.pos(at)
            List<String> inputs = comp.inputNames()
            argSources.eachWithIndex { Set<Map> s, int i ->
                for (Map src in s) {
                    Map to = [to: id, input: i < inputs.size() ? inputs[i] : null, index: i]
                    if (src.node) edges << [from: src.node, emit: src.emit] + to
                    else if (src.param) edges << [param: src.param] + to
                }
            }
            comp.model.outputs.eachWithIndex { Map o, int i ->
                String key = o.emit ?: "${i}"
                outs[key] = [[node: id, emit: o.emit ?: "${i}"]] as Set
            }
        } else if (comp.name in stack) {
            issues.add('undefined-component', nf.rel, at, "workflow ${comp.name} calls itself (through ${stack.join(' → ')})")
        } else {
            def sub = new WorkflowWalker(checker: checker, nf: comp.file, components: checker.componentsOf(comp.file),
                    prefix: id + ':', stack: stack + [comp.name])
            sub.guard = []
            outs = sub.walk(comp.name, argSources)
            sub.nodes.each { it.guard = guard + it.guard }
            nodes.addAll(sub.nodes)
            edges.addAll(sub.edges)
        }
        outSources[local] = outs
        outs.values().collectMany { it } as Set
    }

    /** Two guards that cannot both hold (one has `c`, the other `!c`). */
    static boolean exclusive(List<String> a, List<String> b) { a.any { Ast.negate(it) in b } }

    /** X.out, X.out.name or X.out[i]. */
    void outRef(String x, String emit, Integer index, ASTNode at) {
        Component comp = components[x]
        if (comp?.kind == 'unresolved') return
        if (comp == null || !(comp.kind in ['process', 'workflow'])) {
            issues.add('undefined-component', nf.rel, at, "${x} is not a process or workflow defined in ${nf.rel} or included by it")
            return
        }
        List<String> names = comp.emitNames()
        if (emit != null && !(emit in names)) {
            def named = names.findAll { it }
            issues.add('unknown-emit', nf.rel, at,
                    "${x}.out.${emit}: ${comp.kind} ${comp.name} (${comp.file.rel}) has no output `emit: ${emit}`" +
                            (named ? " (it emits ${named.join(', ')})" : ' (it names no outputs)'))
            return
        }
        if (index != null && (index < 0 || index >= names.size())) {
            issues.add('unknown-emit', nf.rel, at, "${x}.out[${index}]: ${comp.kind} ${comp.name} has ${names.size()} output${names.size() == 1 ? '' : 's'}")
            return
        }
        def calls = invoked[x] ?: []
        if (!calls.any { within(it.guard, guard) }) {
            String only = calls ? calls[0].guard.findAll { !(it in guard) }.collect { "`${it}`" }.join(' and ') : null
            String why = calls ? "it is invoked (line ${calls[0].line}) only when ${only}" :
                    'it has not been invoked before this line'
            issues.add('output-before-call', nf.rel, at, "${x}.out is used but ${why}")
            return
        }
        Map<String, Set<Map>> outs = outSources[x] ?: [:]
        String key = emit ?: (index != null ? (names[index] ?: "${index}") : null)
        emitSources(key != null ? (outs[key] ?: []) : outs.values().collectMany { it })
    }
}

/** First line on which each name is assigned in a block (for "used before assigned"). */
class AssignedNames extends CodeVisitorSupport {
    Map<String, Integer> first = [:]

    @Override
    void visitBinaryExpression(BinaryExpression e) {
        if (e.operation.text == '=' && e.leftExpression instanceof VariableExpression) {
            first.putIfAbsent(e.leftExpression.name, e.lineNumber)
        }
        super.visitBinaryExpression(e)
    }

    @Override
    void visitDeclarationExpression(DeclarationExpression e) { visitBinaryExpression(e) }

    @Override
    void visitMethodCallExpression(MethodCallExpression c) {
        if (!c.implicitThis && c.methodAsString in ['set', 'tap']) {
            def args = Ast.args(c)
            def st = args.size() == 1 && args[0] instanceof ClosureExpression ? Ast.closureStatements(args[0]) : []
            if (st.size() == 1 && st[0] instanceof ExpressionStatement && st[0].expression instanceof VariableExpression) {
                first.putIfAbsent(st[0].expression.name, c.lineNumber)
            }
        }
        super.visitMethodCallExpression(c)
    }
}

/** nextflow.config and the files it includes: params (with defaults), profiles, params used, main script. */
class ConfigReader {
    Checker checker
    Map<String, Map> params = [:]
    Map<String, Map<String, Map>> profiles = [:]
    List<Map> uses = []
    String mainScript = null
    List<String> files = []

    void read(File f, String profile) {
        String rel = checker.rel(f)
        if (!f.isFile()) return
        files << rel
        ModuleNode m = Ast.parse(f, rel, checker.issues)
        if (m == null) return
        ParamUses.of(m, false).each { uses << it + [file: rel] }
        statements(m.statementBlock.statements, f, rel, profile)
    }

    private void statements(List<Statement> sts, File f, String rel, String profile) {
        for (Statement st in sts) {
            Expression e = st instanceof ExpressionStatement ? st.expression : null
            if (Ast.isBareCall(e, 'includeConfig')) {
                def t = Ast.template(Ast.args(e)[0])
                if (t?.parts?.every { it.containsKey('text') }) {
                    File inc = new File(f.parentFile, t.text)
                    if (!inc.isFile()) checker.issues.add('include-path', rel, e, "includeConfig '${t.text}': no such file (${checker.rel(inc)})")
                    else read(inc, profile)
                }
            } else if (Ast.isBareCall(e, 'params') && Ast.args(e)[0] instanceof ClosureExpression) {
                for (Statement p in Ast.closureStatements(Ast.args(e)[0])) {
                    Expression x = p instanceof ExpressionStatement ? p.expression : null
                    if (x instanceof BinaryExpression && x.operation.text == '=' && x.leftExpression instanceof VariableExpression) {
                        declare(x.leftExpression.name, x.rightExpression, rel, profile)
                    }
                }
            } else if (e instanceof BinaryExpression && e.operation.text == '=' && e.leftExpression instanceof PropertyExpression &&
                    e.leftExpression.objectExpression instanceof VariableExpression) {
                String owner = e.leftExpression.objectExpression.name
                if (owner == 'params') declare(e.leftExpression.propertyAsString, e.rightExpression, rel, profile)
                if (owner == 'manifest' && e.leftExpression.propertyAsString == 'mainScript') mainScript = Ast.literal(e.rightExpression)
            } else if (Ast.isBareCall(e, 'manifest') && Ast.args(e)[0] instanceof ClosureExpression) {
                for (Statement p in Ast.closureStatements(Ast.args(e)[0])) {
                    Expression x = p instanceof ExpressionStatement ? p.expression : null
                    if (x instanceof BinaryExpression && x.leftExpression instanceof VariableExpression && x.leftExpression.name == 'mainScript') {
                        mainScript = Ast.literal(x.rightExpression)
                    }
                }
            } else if (profile == null && Ast.isBareCall(e, 'profiles') && Ast.args(e)[0] instanceof ClosureExpression) {
                for (Statement p in Ast.closureStatements(Ast.args(e)[0])) {
                    Expression x = p instanceof ExpressionStatement ? p.expression : null
                    if (Ast.isBareCall(x) && Ast.args(x).size() == 1 && Ast.args(x)[0] instanceof ClosureExpression) {
                        profiles.putIfAbsent(x.methodAsString, [:])
                        statements(Ast.closureStatements(Ast.args(x)[0]), f, rel, x.methodAsString)
                    }
                }
            }
        }
    }

    private void declare(String name, Expression value, String rel, String profile) {
        Map p = [value: Ast.literal(value), file: rel] + Ast.pos(value)
        if (profile == null) params[name] = p
        else profiles[profile][name] = p
    }
}

/** One project root: parse, check, build the DAG. */
class Checker {
    File root
    Issues issues = new Issues()
    Map<String, NfFile> files = [:]
    List<Map> calls = []
    private Map<NfFile, Map<String, Component>> componentCache = [:]

    String rel(File f) {
        String r = root.toPath().toAbsolutePath().normalize().relativize(f.toPath().toAbsolutePath().normalize()).toString()
        r.replace(File.separatorChar, '/' as char)
    }

    NfFile load(File f) {
        String r = rel(f)
        if (!files.containsKey(r)) files[r] = Extract.nfFile(f, r, issues)
        files[r]
    }

    /** The file an include path names: as given, with `.nf` added, or its main.nf. */
    File resolveInclude(NfFile from, String path) {
        String p = path.replace('${projectDir}', root.path).replace('${moduleDir}', from.file.parentFile.path)
                .replace('$projectDir', root.path).replace('$moduleDir', from.file.parentFile.path)
        File base = new File(p).isAbsolute() ? new File(p) : new File(from.file.parentFile, p)
        [base, new File(base.path + '.nf'), new File(base, 'main.nf')].find { it.isFile() }
    }

    Map<String, Component> componentsOf(NfFile nf) {
        if (componentCache.containsKey(nf)) return componentCache[nf]
        Map<String, Component> c = [:]
        componentCache[nf] = c // before resolving includes: include cycles end here
        Set<String> included = []
        nf.processes.each { n, m -> c[n] = new Component(kind: 'process', name: n, file: nf, model: m) }
        nf.workflows.each { n, m -> if (n) c[n] = new Component(kind: 'workflow', name: n, file: nf, model: m) }
        nf.functions.each { n -> c.putIfAbsent(n, new Component(kind: 'function', name: n, file: nf)) }
        for (Map inc in nf.includes) {
            String local = inc.alias ?: inc.name
            if (inc.from == null) {
                issues.add('include-path', nf.rel, inc.line, inc.column, "include ${inc.name}: the path ${inc.fromExpr} is not a plain string")
                continue
            }
            if (inc.from.startsWith('plugin/')) {
                c[local] = new Component(kind: 'function', name: inc.name, file: nf)
                continue
            }
            File target = resolveInclude(nf, inc.from)
            // a failed include is reported once; its name stays known so that its calls add no more issues
            Component unresolved = new Component(kind: 'unresolved', name: inc.name, file: nf)
            if (target == null) {
                c.putIfAbsent(local, unresolved)
                issues.add('include-path', nf.rel, inc.line, inc.column,
                        "include { ${inc.name} } from '${inc.from}': no such file (tried ${inc.from}, ${inc.from}.nf and ${inc.from}/main.nf from ${nf.rel})")
                continue
            }
            NfFile t = load(target)
            inc.resolved = t.rel
            if (t.ast == null) { c.putIfAbsent(local, unresolved); continue } // its syntax error is reported
            Component def_ = componentsOf(t)[inc.name]
            if (def_ == null) {
                def defined = (t.processes.keySet() + t.workflows.keySet().findAll { it } + t.functions).sort()
                issues.add('include-name', nf.rel, inc.line, inc.column,
                        "include { ${inc.name} } from '${inc.from}': ${t.rel} does not define ${inc.name}" +
                                (defined ? " (it defines ${defined.join(', ')})" : ' (it defines nothing)'))
                c.putIfAbsent(local, unresolved)
                continue
            }
            if (c.containsKey(local)) {
                issues.add('include-name', nf.rel, inc.line, inc.column,
                        "include ${local}: the name is already ${c[local].file == nf && !(local in included) ? 'defined in' : 'included by'} ${nf.rel}; include it under another name (as ALIAS)")
                continue
            }
            included << local
            c[local] = def_
        }
        c
    }

    Map run() {
        def config = new ConfigReader(checker: this)
        File cfg = new File(root, 'nextflow.config')
        if (cfg.isFile()) config.read(cfg, null)
        else issues.add('include-path', 'nextflow.config', 0, 0, "no nextflow.config in ${root}")
        String entryName = config.mainScript ?: 'main.nf'
        File entry = new File(root, entryName)
        if (!entry.isFile()) {
            issues.add('include-path', entryName, 0, 0, "the main script ${entryName} (manifest.mainScript) does not exist")
        } else {
            load(entry)
        }
        for (String dir in ['modules', 'subworkflows', 'workflows']) {
            File d = new File(root, dir)
            if (d.isDirectory()) d.eachFileRecurse { if (it.isFile() && it.name.endsWith('.nf')) load(it) }
        }
        // resolve every file's includes (this loads included files outside modules/ too)
        for (int i = 0; i < files.size(); i++) componentsOf(files.values().toList()[i])

        Map dag = [entry: entry.isFile() ? rel(entry) : null, nodes: [], edges: []]
        for (NfFile nf in files.values().toList()) {
            if (nf.ast == null) continue
            def comps = componentsOf(nf)
            for (String wf in nf.workflows.keySet()) {
                boolean isEntry = wf == '' && entry.isFile() && nf.rel == rel(entry)
                if (wf == '' && !isEntry) continue // an entry workflow of an included file never runs
                def w = new WorkflowWalker(checker: this, nf: nf, components: comps, prefix: '', stack: wf ? [wf] : [])
                w.walk(wf, null)
                calls.addAll(w.calls.collect { it + [workflow: wf ?: null] })
                nf.workflows[wf].calls = w.calls.collect { it.subMap(['name', 'component', 'kind', 'line', 'column', 'args']) }
                nf.workflows[wf].assigned = w.assigned.unique()
                nf.workflows[wf].used = w.used.unique()
                if (isEntry) {
                    dag.nodes = w.nodes
                    dag.edges = w.edges.unique()
                }
            }
        }
        // params: every use must be declared in nextflow.config (profiles may only set declared ones)
        Set<String> declared = config.params.keySet()
        for (NfFile nf in files.values()) {
            for (Map u in nf.paramUses) {
                if (!(u.name in declared)) {
                    issues.add('undeclared-param', nf.rel, u.line, u.column, "params.${u.name} is not declared in the params of nextflow.config")
                }
            }
        }
        for (Map u in config.uses) {
            if (!(u.name in declared)) {
                issues.add('undeclared-param', u.file, u.line, u.column, "params.${u.name} is not declared in the params of nextflow.config")
            }
        }
        config.profiles.each { String prof, Map<String, Map> ps ->
            ps.each { String n, Map p ->
                if (!(n in declared)) {
                    issues.add('undeclared-param', p.file, p.line, p.column, "profile ${prof} sets params.${n}, which nextflow.config does not declare")
                }
            }
        }
        [root       : root.path,
         issues     : issues.list.sort { a, b -> a.file <=> b.file ?: a.line <=> b.line ?: a.column <=> b.column },
         files      : files.values().collect { it.toJson() },
         config     : [files: config.files, mainScript: config.mainScript, params: config.params, profiles: config.profiles,
                       uses: config.uses],
         calls      : calls,
         dag        : dag]
    }
}

if (args.length == 0) {
    System.err.println('usage: nf-check.groovy PROJECT_ROOT [PROJECT_ROOT…]')
    System.exit(2)
}
println JsonOutput.toJson(args.collect { new Checker(root: new File(it).absoluteFile).run() })
