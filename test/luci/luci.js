// A stand-in for LuCI's client runtime, written for test/luci.test.ts: just the
// part our view uses. It follows luci-base's own files in openwrt/luci
// (modules/luci-base/htdocs/luci-static/resources), read at these revisions:
//   luci.js    006f7c7932a29cf0473f0b3c256eb3504001dd01: Poll (add() starts
//              the loop when it is idle, and start() runs a first step at
//              once); the view class (load, render, then addFooter) as the
//              LuCI.view API documentation describes it: a handle*() set to
//              null drops its button, all three null leave no footer
//   form.js    11819152de9751d1edbbeff0bb6d543217b5213a: Map.load (session
//              access -> readonly), Map.save (parse, uci save, reload; invalid
//              input: the "Save error" dialog, the form left as it was, the
//              promise rejected), AbstractSection.load (option.load()
//              -> cfgvalue()), AbstractValue.parse/write/remove, FlagValue.parse,
//              checkDepends (also re-validates the active widgets)
//   ui.js      90a2b1eaeb58b7169b31fdc097c5bfe6f557c778: Textfield, DynamicList
//              (the validator sits on the add input; "+" and Enter refuse an
//              invalid entry), Dropdown's create input, showModal/hideModal,
//              addNotification, createHandlerFn, changes.apply
//   validation.js e8f5ede7c25aecf771ad202f234ebaaa2cb08906: Validator.validate
//              for a validate() function (class cbi-input-invalid, data-tooltip,
//              validation-failure/-success events)
//   tools/widgets.js 035fa9120d85c0fcde3d40c0d12e9e4fe20bce36: ZoneSelect
//              (zones from uci config firewall, as firewall.getZones()) and
//              DeviceSelect (devices from luci-rpc getNetworkDevices, as
//              network.getDevices(); 'lo' left out)
//   uci.js     030d24ea87d4475e9cadaba1c4273d1e30104ee4: get/set/unset/save
//   cbi.js     008bd893105d2bc8bfb5e5dce1ef00fa09008533: _() on window.TR
// Left out: datatype expressions (setting one throws: the view validates with
// validate() functions only), validation on selects and checkboxes, tabs,
// TypedSection/GridSection, ui.Dropdown's rich markup (a list of checkboxes and
// a create input stand in for it), zone colours, network badges and icons,
// '@network' aliases (DeviceSelect behaves as with noaliases), NetworkSelect,
// ZoneForwards, User/GroupSelect, the changes counter, rollback timers.
// It loads a view the way LuCI does (fetch the file, read its 'require' lines,
// run the rest as the body of function(window, document, L, ...modules)) and
// talks ubus JSON-RPC to the test's server, which answers from fixtures and
// records every call.
(function () {
	'use strict';

	const env = window.luciEnv;

	/* dom: E() and friends */

	const isNode = (x) => x instanceof Node;

	const dom = {
		/* A lone string is set as HTML; array members become nodes or text. */
		append(node, children) {
			if (Array.isArray(children)) {
				for (const c of children)
					if (isNode(c)) node.appendChild(c);
					else if (c != null) node.appendChild(document.createTextNode(String(c)));
				return node.lastChild;
			}
			if (isNode(children)) return node.appendChild(children);
			if (children != null) node.innerHTML = String(children);
			return node.lastChild;
		},
		content(node, children) {
			while (node.firstChild) node.removeChild(node.firstChild);
			return this.append(node, children);
		},
		parent(node, selector) { return node.closest(selector); },
		bindClassInstance(node, inst) { node.luciInstance = inst; return inst; },
		findClassInstance(node) {
			for (; node; node = node.parentNode) if (node.luciInstance) return node.luciInstance;
			return null;
		},
		callClassMethod(node, method, ...args) {
			const inst = this.findClassInstance(node);
			return inst && typeof inst[method] === 'function' ? inst[method](...args) : null;
		}
	};

	function E(tag, attrs, children) {
		if (Array.isArray(tag)) {
			const frag = document.createDocumentFragment();
			dom.append(frag, tag.concat(attrs != null ? attrs : []));
			return frag;
		}
		if (attrs == null || Array.isArray(attrs) || typeof attrs !== 'object' || isNode(attrs)) {
			children = attrs;
			attrs = null;
		}
		const el = document.createElement(tag);
		for (const [k, v] of Object.entries(attrs || {})) {
			if (v == null) continue;
			if (typeof v === 'function') el.addEventListener(k, v);
			else el.setAttribute(k, typeof v === 'object' ? JSON.stringify(v) : String(v));
		}
		if (children != null) dom.append(el, children);
		return el;
	}

	/* LuCI's printf, the conversions our views use. */
	String.prototype.format = function (...args) {
		return this.replace(/%([%sdh])/g, (m, c) => {
			if (c === '%') return '%';
			const v = args.shift();
			if (c === 'd') return String(Math.floor(+v || 0));
			if (c === 'h') return String(v).replace(/[&<>"']/g, (x) => '&#' + x.charCodeAt(0) + ';');
			return String(v);
		});
	};

	/* rpc: ubus JSON-RPC over HTTP */

	let rpcId = 0;
	const rpc = {
		call(object, method, args) {
			return fetch('/ubus', {
				method: 'POST',
				headers: { 'Content-Type': 'application/json' },
				body: JSON.stringify({ jsonrpc: '2.0', id: ++rpcId, method: 'call', params: [env.sessionid, object, method, args] })
			}).then((r) => r.json());
		},
		declare(d) {
			return (...args) => {
				const params = {};
				(d.params || []).forEach((p, i) => { if (args[i] !== undefined) params[p] = args[i]; });
				return rpc.call(d.object, d.method, params).then((msg) => {
					if (msg.error) throw new Error(`RPC call to ${d.object}/${d.method} failed: ${msg.error.message}`);
					if (d.reject && msg.result[0] !== 0)
						throw new Error(`RPC call to ${d.object}/${d.method} failed with ubus code ${msg.result[0]}`);
					let ret = msg.result.length > 1 ? msg.result[1] : msg.result[0];
					const type = (x) => Object.prototype.toString.call(x);
					for (const key in d.expect || {}) {
						if (ret != null && key !== '') ret = ret[key];
						if (ret == null || type(ret) !== type(d.expect[key])) ret = d.expect[key];
						break;
					}
					return ret;
				});
			};
		}
	};

	/* uci: values loaded over ubus, changes staged here until save() */

	const uci = {
		state: { values: {}, changes: {}, deletes: {} },
		load(configs) {
			configs = [].concat(configs);
			return Promise.all(configs.map((c) =>
				rpc.declare({ object: 'uci', method: 'get', params: ['config'], expect: { values: {} } })(c)
					.then((values) => { this.state.values[c] = values; })
			)).then(() => configs);
		},
		get(conf, sid, opt) {
			const c = this.state.changes[conf], d = this.state.deletes[conf], v = this.state.values[conf];
			if (opt == null) return v ? v[sid] || null : null;
			if (d && d[sid] && d[sid][opt]) return null;
			if (c && c[sid] && c[sid][opt] !== undefined) return c[sid][opt];
			return v && v[sid] && v[sid][opt] !== undefined ? v[sid][opt] : null;
		},
		set(conf, sid, opt, val) {
			const { values: v, changes: c, deletes: d } = this.state;
			if (!v[conf] || !v[conf][sid]) return;
			if (val != null && val !== '') {
				((c[conf] ??= {})[sid] ??= {})[opt] = val;
				if (d[conf] && d[conf][sid]) delete d[conf][sid][opt];
			} else {
				if (c[conf] && c[conf][sid]) delete c[conf][sid][opt];
				if (v[conf][sid].hasOwnProperty(opt)) ((d[conf] ??= {})[sid] ??= {})[opt] = true;
			}
		},
		unset(conf, sid, opt) { return this.set(conf, sid, opt, null); },
		save() {
			const { changes: c, deletes: d } = this.state, tasks = [], configs = new Set();
			const callSet = rpc.declare({ object: 'uci', method: 'set', params: ['config', 'section', 'values'], reject: true });
			const callDelete = rpc.declare({ object: 'uci', method: 'delete', params: ['config', 'section', 'options'], reject: true });
			for (const conf in c) for (const sid in c[conf]) { configs.add(conf); tasks.push(callSet(conf, sid, c[conf][sid])); }
			for (const conf in d) for (const sid in d[conf]) { configs.add(conf); tasks.push(callDelete(conf, sid, Object.keys(d[conf][sid]))); }
			return Promise.all(tasks).then(() => {
				this.state.changes = {};
				this.state.deletes = {};
				return this.load([...configs]);
			});
		}
	};

	/* ui: notifications, handler buttons, and the apply flow */

	const ui = {
		showModal(title, children, ...classes) {
			let overlay = document.getElementById('modal_overlay');
			if (!overlay) overlay = document.body.appendChild(E('div', { id: 'modal_overlay' }, [E('div', { class: 'modal', role: 'dialog' })]));
			const dlg = overlay.firstElementChild;
			dlg.setAttribute('class', ['modal', ...classes].join(' '));
			dom.content(dlg, E('h4', {}, [title]));
			dom.append(dlg, children);
			document.body.classList.add('modal-overlay-active');
			return dlg;
		},
		hideModal() { document.body.classList.remove('modal-overlay-active'); },
		addNotification(title, children, ...classes) {
			const msg = E('div', { class: 'alert-message ' + classes.join(' ') }, [title ? E('h4', [title]) : '', E('div', {}, children)]);
			document.getElementById('notifications').appendChild(msg);
			return msg;
		},
		createHandlerFn(ctx, fn, ...args) {
			return (ev) => {
				const btn = ev.currentTarget;
				btn.disabled = true;
				return Promise.resolve((typeof fn === 'string' ? ctx[fn] : fn).call(ctx, ...args, ev))
					.finally(() => { btn.disabled = false; });
			};
		},
		changes: {
			/* As LuCI: commit (with rollback when checked), confirm, fire 'uci-applied', reload the page. */
			apply(checked) {
				const status = document.getElementById('applystatus');
				return rpc.declare({ object: 'uci', method: 'apply', params: ['rollback', 'timeout'] })(!!checked, 30).then((code) => {
					if (code !== 0) return dom.content(status, [_('There are no changes to apply')]);
					return rpc.declare({ object: 'uci', method: 'confirm' })().then(() => {
						document.dispatchEvent(new CustomEvent('uci-applied'));
						dom.content(status, [_('Configuration changes applied.')]);
						window.setTimeout(() => { window.location = window.location.href.split('#')[0]; }, env.apply_display * 1000);
					});
				});
			}
		}
	};

	/* poll: one loop ticking every second */

	const poll = {
		queue: [],
		add(fn, interval) {
			if (this.queue.some((e) => e.fn === fn)) return false;
			this.queue.push({ fn, i: interval || env.pollinterval, r: true });
			if (this.tick != null && !this.active()) this.start();
			return true;
		},
		remove(fn) {
			const n = this.queue.length;
			this.queue = this.queue.filter((e) => e.fn !== fn);
			return this.queue.length !== n;
		},
		start() {
			if (this.active()) return false;
			this.tick = 0;
			if (this.queue.length) {
				this.timer = window.setInterval(() => this.step(), 1000);
				this.step();
			}
			return true;
		},
		stop() {
			if (!this.active()) return false;
			window.clearInterval(this.timer);
			delete this.timer;
			return true;
		},
		step() {
			for (const e of this.queue) {
				if (this.tick % e.i || !e.r) continue;
				e.r = false;
				Promise.resolve(e.fn()).finally(() => { e.r = true; });
			}
			this.tick++;
		},
		active() { return this.timer != null; }
	};

	/* validation: validation.js Validator.validate() for a validate() function; the widget root keeps the state */

	function addValidator(field, root, vfunc, ...events) {
		const validate = () => {
			field.classList.remove('cbi-input-invalid');
			const valid = typeof vfunc === 'function' ? vfunc(field.value != null ? field.value : '') : true;
			if (valid !== true) {
				field.classList.add('cbi-input-invalid');
				field.setAttribute('data-tooltip', String(valid));
				field.setAttribute('data-tooltip-style', 'error');
				field.dispatchEvent(new CustomEvent('validation-failure', { bubbles: true, detail: { message: String(valid) } }));
				return false;
			}
			field.removeAttribute('data-tooltip');
			field.removeAttribute('data-tooltip-style');
			field.dispatchEvent(new CustomEvent('validation-success', { bubbles: true }));
			return true;
		};
		for (const e of events) field.addEventListener(e, validate);
		root.addEventListener('validation-failure', (ev) => { root.validState = false; root.validationError = ev.detail.message; });
		root.addEventListener('validation-success', () => { root.validState = true; root.validationError = ''; });
		root.vfunc = validate;
		return validate;
	}

	/* form: Map -> sections -> options rendered as LuCI's cbi-* markup */

	const isEqual = (x, y) => JSON.stringify(x) === JSON.stringify(y);
	const stripTags = (s) => { const d = document.createElement('div'); d.innerHTML = s; return d.textContent; };

	class FormMap {
		constructor(config, title, description) {
			Object.assign(this, { config, title: title || '', description: description || '', children: [], readonly: null, data: uci });
		}
		section(cls, ...args) {
			const s = new cls(this, ...args);
			this.children.push(s);
			return s;
		}
		/* Without an explicit readonly, ask rpcd whether the session may write the config; then load every option. */
		load() {
			const access = this.readonly == null
				? rpc.declare({ object: 'session', method: 'access', params: ['scope', 'object', 'function'], expect: { access: false } })('uci', this.config, 'write')
				: true;
			return Promise.all([access, uci.load(this.config)]).then(([writable]) => {
				if (writable === false) this.readonly = true;
				return Promise.all(this.children.map((s) => s.load()));
			});
		}
		render() { return this.load().then(() => this.renderContents()); }
		renderContents() {
			const root = this.root || (this.root = E('div', { id: `cbi-${this.config}`, class: 'cbi-map' }));
			dom.bindClassInstance(root, this);
			dom.content(root, null);
			if (this.title) root.appendChild(E('h2', {}, this.title));
			if (this.description) root.appendChild(E('div', { class: 'cbi-map-descr' }, this.description));
			for (const s of this.children) root.appendChild(s.render());
			this.checkDepends();
			return Promise.resolve(root);
		}
		/* As form.js: show what the dependencies allow, and (first pass) re-validate every active widget. */
		checkDepends(ev, n) {
			let changed = false;
			for (const s of this.children)
				for (const sid of s.cfgsections())
					for (const o of s.children) {
						const frame = o.frame(sid), active = o.isActive(sid), want = o.depsSatisfied(sid);
						if (frame && active !== want) {
							frame.classList.toggle('hidden', !want);
							changed = true;
						}
						if (!n && active) o.triggerValidation(sid);
					}
			if (changed && (n || 0) < 10) this.checkDepends(ev, (n || 10) + 1);
		}
		parse() {
			const tasks = [];
			for (const s of this.children) for (const sid of s.cfgsections()) for (const o of s.children) tasks.push(o.parse(sid));
			return Promise.all(tasks);
		}
		/* A refused save shows LuCI's "Save error" dialog and leaves the form as the user left it. */
		save(cb, silent) {
			this.checkDepends();
			return this.parse()
				.then(cb)
				.then(() => uci.save())
				.then(() => this.load())
				.catch((e) => {
					if (!silent)
						ui.showModal(_('Save error'), [
							E('p', {}, [_('An error occurred while saving the form:')]),
							E('p', {}, [E('em', { style: 'white-space:pre-wrap' }, [e.message])]),
							E('div', { class: 'right' }, [E('button', { class: 'cbi-button', click: ui.hideModal }, [_('Dismiss')])])
						]);
					return Promise.reject(e);
				})
				.then(() => this.renderContents());
		}
		reset() { return this.renderContents(); }
	}

	class NamedSection {
		constructor(map, section, sectiontype, title, description) {
			Object.assign(this, { map, section, sectiontype, title: title || '', description: description || '', children: [], addremove: false, anonymous: false });
		}
		option(cls, option, title, description) {
			const o = new cls(this.map, this, option, title, description);
			this.children.push(o);
			return o;
		}
		cfgsections() { return uci.get(this.map.config, this.section) ? [this.section] : []; }
		/* AbstractSection.load(): each option's load() becomes its cfgvalue(). */
		load() {
			return Promise.all(this.cfgsections().map((sid) =>
				Promise.all(this.children.map((o) => Promise.resolve(o.load(sid)).then((v) => o.cfgvalue(sid, v))))));
		}
		render() {
			const sid = this.cfgsections()[0], el = E('div', { id: `cbi-${this.map.config}-${this.section}`, class: 'cbi-section' });
			if (this.title) el.appendChild(E('h3', {}, this.title));
			if (this.description) el.appendChild(E('div', { class: 'cbi-section-descr' }, this.description));
			if (sid != null)
				el.appendChild(E('div', { class: 'cbi-section-node', 'data-section-id': sid }, this.children.map((o) => o.render(sid))));
			return el;
		}
	}

	class AbstractValue {
		constructor(map, section, option, title, description) {
			Object.assign(this, { map, section, option, title: title || '', description: description || '', deps: [],
				rmempty: true, optional: false, retain: false, default: null, readonly: null, placeholder: '',
				keylist: [], vallist: [] });
			let datatype = null;
			Object.defineProperty(this, 'datatype', {
				get: () => datatype,
				set: (v) => {
					if (v != null) throw new Error(`stand-in LuCI does not evaluate datatype expressions ("${v}" on ${option}); use validate()`);
					datatype = v;
				}
			});
		}
		depends(field, value) { this.deps.push(typeof field === 'string' ? { [field]: value } : field); }
		value(key, label) { this.keylist.push(key); this.vallist.push(label != null ? label : key); }
		cbid(sid) { return `cbid.${this.map.config}.${sid}.${this.option}`; }
		frame(sid) { return this.map.root && this.map.root.querySelector(`[data-field="${this.cbid(sid)}"]`); }
		widget(sid) { return this.map.root && this.map.root.querySelector(`[id="${this.cbid(sid)}"]`); }
		load(sid) { return uci.get(this.map.config, sid, this.option); }
		cfgvalue(sid, value) {
			if (arguments.length === 2) (this.data = this.data || {})[sid] = value;
			return this.data ? this.data[sid] : null;
		}
		validate() { return true; }
		isValid(sid) { const w = this.widget(sid); return !w || w.validState !== false; }
		getValidationError(sid) { const w = this.widget(sid); return (w && w.validationError) || ''; }
		triggerValidation(sid) { const w = this.widget(sid); if (w && w.vfunc) w.vfunc(); }
		inputDisabled() { return (this.readonly != null ? this.readonly : this.map.readonly) ? '' : null; }
		isActive(sid) { const f = this.frame(sid); return f != null && !f.classList.contains('hidden'); }
		depsSatisfied(sid) {
			if (!this.deps.length) return true;
			return this.deps.some((dep) => Object.keys(dep).every((name) => {
				const o = this.section.children.find((c) => c.option === name);
				return isEqual(o && o.isActive(sid) ? o.formvalue(sid) : null, dep[name]);
			}));
		}
		render(sid) {
			const el = E('div', { class: 'cbi-value', id: `cbi-${this.map.config}-${sid}-${this.option}`, 'data-field': this.cbid(sid), 'data-name': this.option });
			const widget = this.renderWidget(sid, this.cfgvalue(sid));
			widget.addEventListener('change', () => this.map.checkDepends());
			el.appendChild(E('label', { class: 'cbi-value-title', for: 'widget.' + this.cbid(sid) }, [stripTags(this.title)]));
			el.appendChild(E('div', { class: 'cbi-value-field' }, [widget]));
			if (this.description) el.lastChild.appendChild(E('div', { class: 'cbi-value-description' }, this.description));
			if (this.deps.length) el.classList.add('hidden');
			return el;
		}
		/* ui.Textfield: the validator runs on keyup and blur. */
		renderWidget(sid, value) {
			const input = E('input', { id: 'widget.' + this.cbid(sid), type: 'text', class: 'cbi-input-text', value: value != null ? value : this.default,
				placeholder: this.placeholder || null, disabled: this.inputDisabled() });
			const frame = E('div', { id: this.cbid(sid) }, [input]);
			addValidator(input, frame, (v) => this.validate(sid, v), 'keyup', 'blur');
			return frame;
		}
		formvalue(sid) { const i = this.widget(sid) && this.widget(sid).querySelector('input'); return i ? i.value : null; }
		/* form.js AbstractValue.parse(). */
		parse(sid) {
			const active = this.isActive(sid);
			if (active && !this.isValid(sid))
				return Promise.reject(new TypeError(`Option "${stripTags(this.title) || this.option}" contains an invalid input value. ${this.getValidationError(sid)}`));
			if (active) {
				const cval = this.cfgvalue(sid), fval = this.formvalue(sid);
				if (fval == null || fval == '') {
					if (this.rmempty || this.optional) return Promise.resolve(this.remove(sid));
					return Promise.reject(new TypeError(`Option "${stripTags(this.title) || this.option}" must not be empty.`));
				}
				if (!isEqual(cval, fval)) return Promise.resolve(this.write(sid, fval));
			} else if (!this.retain) {
				return Promise.resolve(this.remove(sid));
			}
			return Promise.resolve();
		}
		write(sid, value) { return uci.set(this.map.config, sid, this.option, value); }
		remove(sid) { return uci.unset(this.map.config, sid, this.option); }
	}

	class Value extends AbstractValue {}

	class ListValue extends Value {
		renderWidget(sid, value) {
			const current = value != null ? value : this.default;
			return E('select', { id: this.cbid(sid), class: 'cbi-input-select', disabled: this.inputDisabled() },
				this.keylist.map((k, i) => E('option', { value: k, selected: k === current ? '' : null }, [this.vallist[i]])));
		}
		formvalue(sid) { const w = this.widget(sid); return w ? w.value : null; }
	}

	/* ui.DynamicList: items with a remove button, an add input carrying the validator, "+" and Enter add a valid entry. */
	class DynamicList extends Value {
		renderWidget(sid, value) {
			const items = L.toArray(value != null ? value : this.default);
			const list = E('div', { id: this.cbid(sid), class: 'cbi-dynlist' });
			const changed = () => list.dispatchEvent(new Event('change'));
			const item = (v) => E('div', { class: 'item', 'data-value': v }, [v, ' ',
				E('button', { class: 'remove', disabled: this.inputDisabled(), click: (ev) => { ev.currentTarget.parentNode.remove(); changed(); } }, ['×'])]);
			const input = E('input', { id: 'widget.' + this.cbid(sid), type: 'text', class: 'cbi-input-text', placeholder: this.placeholder || null, disabled: this.inputDisabled() });
			const add = () => {
				if (!input.value.length || input.classList.contains('cbi-input-invalid')) return;
				list.insertBefore(item(input.value), list.querySelector('.add-item'));
				input.value = '';
				changed();
			};
			input.addEventListener('keydown', (ev) => { if (ev.key === 'Enter') add(); });
			dom.append(list, [...items.map(item), E('div', { class: 'add-item control-group' }, [input,
				E('button', { class: 'btn cbi-button cbi-button-add', disabled: this.inputDisabled(), click: add }, ['+'])])]);
			addValidator(input, list, (v) => this.validate(sid, v), 'blur', 'keyup');
			return list;
		}
		formvalue(sid) {
			const w = this.widget(sid);
			return w ? [...w.querySelectorAll('.item')].map((i) => i.getAttribute('data-value')) : null;
		}
	}

	class Flag extends Value {
		constructor(...args) {
			super(...args);
			Object.assign(this, { enabled: '1', disabled: '0' });
			this.default = this.disabled;
		}
		renderWidget(sid, value) {
			const on = (value != null ? value : this.default) === this.enabled;
			return E('div', { id: this.cbid(sid), class: 'cbi-checkbox' }, [
				E('input', { id: 'widget.' + this.cbid(sid), type: 'checkbox', checked: on ? '' : null, disabled: this.inputDisabled() }),
				E('label', { for: 'widget.' + this.cbid(sid) })
			]);
		}
		formvalue(sid) {
			const w = this.widget(sid);
			return w && w.querySelector('input').checked ? this.enabled : this.disabled;
		}
		/* form.js FlagValue.parse(): always written unless it equals the default and rmempty/optional. */
		parse(sid) {
			if (this.isActive(sid)) {
				const fval = this.formvalue(sid);
				if (fval == this.default && (this.optional || this.rmempty)) return Promise.resolve(this.remove(sid));
				return Promise.resolve(this.write(sid, fval));
			}
			if (!this.retain) return Promise.resolve(this.remove(sid));
			return Promise.resolve();
		}
	}

	class DummyValue extends Value {
		renderWidget(sid, value) { return E('div', { id: this.cbid(sid) }, this.rawhtml ? value : [value]); }
		parse() { return Promise.resolve(); }
	}

	const form = { Map: FormMap, NamedSection, Value, ListValue, DynamicList, Flag, DummyValue };

	/* tools.widgets: ZoneSelect and DeviceSelect, ListValues over a ui.Dropdown (here: checkboxes and a create input) */

	class DropdownSelect extends ListValue {
		/* The names to offer; widgets.js loads them before the option's own load(). */
		choices() { return Promise.resolve([]); }
		load(sid) { return this.choices().then((names) => { this.names = names; return super.load(sid); }); }
		renderWidget(sid, value) {
			const values = L.toArray(value != null ? value : this.default);
			const names = this.names.concat(this.nocreate ? [] : values.filter((v) => !this.names.includes(v)));
			const root = E('div', { id: this.cbid(sid), class: 'cbi-dropdown', multiple: this.multiple ? '' : null });
			const entry = (name, checked) => E('li', { 'data-value': name }, [
				E('input', { type: 'checkbox', checked: checked ? '' : null, disabled: this.inputDisabled(),
					change: (ev) => { if (!this.multiple && ev.target.checked) root.querySelectorAll('li input').forEach((c) => { c.checked = c === ev.target; }); } }),
				' ', name]);
			const ul = E('ul', {}, names.map((n) => entry(n, values.includes(n))));
			dom.append(root, [ul]);
			if (!this.nocreate) {
				const create = E('input', { type: 'text', class: 'create-item-input', placeholder: 'custom', disabled: this.inputDisabled() });
				create.addEventListener('keydown', (ev) => {
					if (ev.key !== 'Enter' || !create.value || create.classList.contains('cbi-input-invalid')) return;
					ul.appendChild(entry(create.value, true));
					create.value = '';
					root.dispatchEvent(new Event('change'));
				});
				root.appendChild(create);
				addValidator(create, root, (v) => this.validate(sid, v), 'blur', 'keyup');
			}
			return root;
		}
		formvalue(sid) {
			const w = this.widget(sid);
			if (!w) return null;
			const v = [...w.querySelectorAll('li')].filter((li) => li.querySelector('input').checked).map((li) => li.getAttribute('data-value'));
			return this.multiple ? v : (v[0] != null ? v[0] : '');
		}
	}

	class ZoneSelect extends DropdownSelect {
		choices() {
			return rpc.declare({ object: 'uci', method: 'get', params: ['config'], expect: { values: {} } })('firewall')
				.then((values) => Object.values(values).filter((s) => s['.type'] === 'zone' && s.name).map((s) => s.name));
		}
	}

	class DeviceSelect extends DropdownSelect {
		choices() {
			return L.resolveDefault(rpc.declare({ object: 'luci-rpc', method: 'getNetworkDevices', expect: { '': {} } })(), {})
				.then((devices) => Object.keys(devices).filter((name) => name !== 'lo').sort());
		}
	}

	const widgets = { ZoneSelect, DeviceSelect };

	/* view: load(), render(), then the page footer, as LuCI's view class */

	const viewBase = {
		__init__() {
			const vp = document.getElementById('view');
			dom.content(vp, E('div', { class: 'spinning' }, [_('Loading view…')]));
			return Promise.resolve(this.load())
				.then((data) => this.render(data))
				.then((nodes) => {
					dom.content(vp, nodes);
					dom.append(vp, this.addFooter());
				}).catch(L.error);
		},
		load() {},
		render() {},
		handleSave() {
			const maps = document.getElementById('maincontent').querySelectorAll('.cbi-map');
			return Promise.all([...maps].map((m) => dom.callClassMethod(m, 'save')));
		},
		handleSaveApply(ev, mode) { return this.handleSave(ev).then(() => ui.changes.apply(mode == '0')); },
		handleReset() {
			const maps = document.getElementById('maincontent').querySelectorAll('.cbi-map');
			return Promise.all([...maps].map((m) => dom.callClassMethod(m, 'reset')));
		},
		/* Buttons are disabled when every form is read-only (or, without forms, when the view is); a handler set to null
		   drops its button, and with none left there is no footer. */
		addFooter() {
			const maps = [...document.getElementById('view').querySelectorAll('.cbi-map')].map((m) => dom.findClassInstance(m)).filter(Boolean);
			const readonly = maps.length ? maps.every((m) => m.readonly) : !L.hasViewPermission();
			const button = (cls, handler, label, ...args) => this[handler]
				? E('button', { class: `cbi-button ${cls}`, disabled: readonly ? '' : null, click: ui.createHandlerFn(this, (ev) => this[handler](ev, ...args)) }, [label])
				: '';
			if (!this.handleSaveApply && !this.handleSave && !this.handleReset) return E([]);
			return E('div', { class: 'cbi-page-actions' }, [
				button('cbi-button-apply', 'handleSaveApply', _('Save & Apply'), '0'), ' ',
				button('cbi-button-save', 'handleSave', _('Save')), ' ',
				button('cbi-button-reset', 'handleReset', _('Reset'))
			]);
		}
	};
	const view = {
		extend(spec) {
			function View() { this.__init__(); }
			View.prototype = Object.assign(Object.create(viewBase), spec);
			View.displayName = 'View';
			return View;
		}
	};
	/* L: the runtime, and require() of a view file */

	const modules = { view, form, rpc, uci, ui, poll, dom, 'tools.widgets': widgets };

	const L = window.L = {
		env,
		ui, dom, poll,
		resolveDefault(value, def) { return Promise.resolve(value).catch(() => def); },
		hasViewPermission() { return !(env.nodespec && env.nodespec.readonly); },
		bind(fn, self, ...args) { return fn.bind(self, ...args); },
		isObject(v) { return v != null && typeof v === 'object'; },
		toArray(v) { return v == null ? [] : Array.isArray(v) ? v : String(v).trim().split(/\s+/).filter(Boolean); },
		url(...parts) { return '/cgi-bin/luci/' + parts.join('/'); },
		resource(...parts) { return env.resource + '/' + parts.join('/'); },
		error(e) {
			ui.addNotification(e.name || 'Error', E('pre', {}, [e.message]), 'danger');
			window.luciErrors.push(String(e && e.stack || e));
			throw e;
		},
		/* As LuCI's require(): leading 'use strict' and 'require x [as y]' strings name the modules. */
		require(name) {
			const url = `${env.resource}/${name.replace(/\./g, '/')}.js`;
			return fetch(url).then((res) => {
				if (!res.ok) throw new Error(`HTTP error ${res.status} while loading class file "${url}"`);
				return res.text();
			}).then((source) => {
				const names = [], deps = [], strings = /\s*(?:'([^']*)'|"([^"]*)")\s*;?/y;
				for (let m; (m = strings.exec(source)) != null;) {
					const s = m[1] != null ? m[1] : m[2], req = /^require[ \t]+(\S+)(?:[ \t]+as[ \t]+([a-zA-Z_]\S*))?$/.exec(s);
					if (req) {
						if (!modules[req[1]]) throw new Error(`stub LuCI has no module "${req[1]}"`);
						deps.push(modules[req[1]]);
						names.push(req[2] || req[1].replace(/[^a-zA-Z0-9_]/g, '_'));
					} else if (!/^use[ \t]+strict$/.test(s)) break;
				}
				const factory = new Function('window', 'document', 'L', ...names, `${source}\n//# sourceURL=${url}`);
				const cls = factory.call(factory, window, document, L, ...deps);
				if (typeof cls !== 'function' || !viewBase.isPrototypeOf(cls.prototype)) throw new TypeError(`"${name}" factory yields invalid constructor`);
				return new cls();
			});
		}
	};

	/* Translations: cbi.js's _() (008bd893105d2bc8bfb5e5dce1ef00fa09008533) on
	   window.TR, the catalog the page loads from admin/translations/<lang>
	   (test/luci.test.ts serves it as LuCI's action_translations writes it):
	   the msgid, blanks collapsed and trimmed, "ctxt\1" before it for a
	   context, hashed with lib/lmo.c's sfh_hash over its bytes, as 8 hex
	   digits; untranslated, the msgid itself. Like cbi.js, the bytes are
	   UTF-8 of each UTF-16 unit (a character beyond U+FFFF is two 3-byte
	   halves, so such a msgid is never found). Left out: N_() (the view has
	   no plural). */
	const unitBytes = (s) => {
		const out = [];
		for (let i = 0; i < s.length; i++) {
			const c = s.charCodeAt(i);
			if (c < 0x80) out.push(c);
			else if (c < 0x800) out.push(0xc0 | (c >> 6), 0x80 | (c & 0x3f));
			else out.push(0xe0 | (c >> 12), 0x80 | ((c >> 6) & 0x3f), 0x80 | (c & 0x3f));
		}
		return out;
	};
	const sfh = (s) => {
		const b = unitBytes(s);
		const get16 = (i) => b[i] | (b[i + 1] << 8);
		const signed = (i) => (b[i] > 0x7f ? b[i] - 256 : b[i]);
		let h = b.length >>> 0, i = 0;
		for (let n = b.length >> 2; n > 0; n--, i += 4) {
			h = (h + get16(i)) >>> 0;
			h = ((h << 16) ^ ((get16(i + 2) << 11) ^ h)) >>> 0;
			h = (h + (h >>> 11)) >>> 0;
		}
		const rest = b.length & 3;
		if (rest === 3) {
			h = (h + get16(i)) >>> 0; h = (h ^ (h << 16)) >>> 0; h = (h ^ (signed(i + 2) << 18)) >>> 0; h = (h + (h >>> 11)) >>> 0;
		} else if (rest === 2) {
			h = (h + get16(i)) >>> 0; h = (h ^ (h << 11)) >>> 0; h = (h + (h >>> 17)) >>> 0;
		} else if (rest === 1) {
			h = (h + signed(i)) >>> 0; h = (h ^ (h << 10)) >>> 0; h = (h + (h >>> 1)) >>> 0;
		}
		for (const [op, n] of [['^', 3], ['+', 5], ['^', 4], ['+', 17], ['^', 25], ['+', 6]])
			h = (op === '^' ? h ^ (h << n) : h + (h >>> n)) >>> 0;
		return h.toString(16).padStart(8, '0');
	};
	const blanks = (s) => String(s).trim().replace(/[ \t\n]+/g, ' ');
	window._ = (s, c) => (window.TR && window.TR[sfh((c != null ? `${blanks(c)}\u0001` : '') + blanks(s))]) || s;

	window.E = E;
	window.luciErrors = [];
	window.addEventListener('error', (e) => window.luciErrors.push(String(e.error && e.error.stack || e.message)));
	window.addEventListener('unhandledrejection', (e) => window.luciErrors.push(String(e.reason && e.reason.stack || e.reason)));

	document.addEventListener('DOMContentLoaded', () => {
		poll.start();
		L.require('view.' + env.requestpath.replace(/\//g, '.')).catch((e) => window.luciErrors.push(String(e.stack || e)));
	});
})();
